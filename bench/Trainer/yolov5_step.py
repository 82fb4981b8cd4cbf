# PyTorch 1.13 twin of our yolov5 for bench/Trainer: the yolov5 v7.0 modules (Conv, Bottleneck, C3, SPPF, Detect) built
# from the same configs/models/yolov5.yaml with yolov5's parse_model rules, so parameter counts must equal ours.
# usage: python3 yolov5_step.py [scale] [nc] [batch] [imgsz]    (prints the parameter count and the median step time)
import math, os, sys, time, torch, torch.nn as nn, yaml

class Conv(nn.Module):
    def __init__(s, c1, c2, k=1, st=1, p=None):
        super().__init__()
        s.conv = nn.Conv2d(c1, c2, k, st, k // 2 if p is None else p, bias=False)
        s.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        s.act = nn.SiLU()
    def forward(s, x): return s.act(s.bn(s.conv(x)))

class Bottleneck(nn.Module):
    def __init__(s, c1, c2, shortcut=True, e=1.0):
        super().__init__(); c_ = int(c2 * e); s.cv1 = Conv(c1, c_, 1); s.cv2 = Conv(c_, c2, 3); s.add = shortcut and c1 == c2
    def forward(s, x): return x + s.cv2(s.cv1(x)) if s.add else s.cv2(s.cv1(x))

class C3(nn.Module):
    def __init__(s, c1, c2, n=1, shortcut=True, e=0.5):
        super().__init__(); c_ = int(c2 * e)
        s.cv1, s.cv2, s.cv3 = Conv(c1, c_), Conv(c1, c_), Conv(2 * c_, c2)
        s.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, 1.0) for _ in range(n)))
    def forward(s, x): return s.cv3(torch.cat((s.m(s.cv1(x)), s.cv2(x)), 1))

class SPPF(nn.Module):
    def __init__(s, c1, c2, k=5):
        super().__init__(); c_ = c1 // 2; s.cv1 = Conv(c1, c_); s.cv2 = Conv(c_ * 4, c2); s.m = nn.MaxPool2d(k, 1, k // 2)
    def forward(s, x):
        x = s.cv1(x); y1 = s.m(x); y2 = s.m(y1); return s.cv2(torch.cat((x, y1, y2, s.m(y2)), 1))

class Concat(nn.Module):
    def forward(s, xs): return torch.cat(xs, 1)

class Detect(nn.Module):
    def __init__(s, nc, anchors, ch):
        super().__init__(); s.no, s.nl, s.na = nc + 5, len(anchors), len(anchors[0]) // 2
        s.register_buffer("anchors", torch.tensor(anchors).float().view(s.nl, -1, 2))
        s.m = nn.ModuleList(nn.Conv2d(x, s.no * s.na, 1) for x in ch)
    def forward(s, xs):
        out = []
        for i, x in enumerate(xs):
            y = s.m[i](x); b, _, h, w = y.shape
            out.append(y.view(b, s.na, s.no, h, w).permute(0, 1, 3, 4, 2).contiguous())
        return out

def make_divisible(x, d): return math.ceil(x / d) * d

class Model(nn.Module):
    def __init__(s, cfg, scale, nc):
        super().__init__()
        gd, gw = cfg["scales"][scale]; ch = [3]; layers = []; s.froms = []
        for i, (f, n, m, args) in enumerate(cfg["backbone"] + cfg["head"]):
            n = max(round(n * gd), 1) if n > 1 else n
            if m in ("Conv", "C3", "SPPF"):
                c1, c2 = ch[f], make_divisible(args[0] * gw, 8)
                args = [c1, c2, *args[1:]]
                if m == "C3": args.insert(2, n); n = 1
                mod = {"Conv": Conv, "C3": C3, "SPPF": SPPF}[m](*args)
            elif m == "nn.Upsample": mod, c2 = nn.Upsample(None, 2, "nearest"), ch[f]
            elif m == "Concat": mod, c2 = Concat(), sum(ch[x] for x in f)
            elif m == "Detect": mod = Detect(nc, cfg["anchors"], [ch[x] for x in f])
            layers.append(mod); s.froms.append(f)
            if i == 0: ch = []
            ch.append(c2)
        s.model = nn.Sequential(*layers)
    def forward(s, x):
        y = []
        for m, f in zip(s.model, s.froms):
            if f != -1: x = y[f] if isinstance(f, int) else [x if j == -1 else y[j] for j in f]
            x = m(x); y.append(x)
        return x

if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "n"
    nc = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    imgsz = int(sys.argv[4]) if len(sys.argv) > 4 else 320
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    cfg = yaml.safe_load(open(os.path.join(root, "configs", "models", "yolov5.yaml")))
    torch.manual_seed(0)
    m = Model(cfg, scale, nc).train()
    print(f"yolov5{scale} nc={nc}: {sum(p.numel() for p in m.parameters()):,} parameters")
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.937, nesterov=True, weight_decay=5e-4)
    x = torch.rand(batch, 3, imgsz, imgsz)
    def step():
        t0 = time.perf_counter()
        loss = sum(o.pow(2).mean() for o in m(x)); loss.backward(); opt.step(); opt.zero_grad()
        return (time.perf_counter() - t0) * 1000
    for _ in range(3): step()
    times = sorted(step() for _ in range(int(os.environ.get("YS_STEPS", "20"))))
    print(f"pytorch {torch.__version__} yolov5{scale} mse batch {batch} imgsz {imgsz} threads {torch.get_num_threads()}: median step {times[len(times) // 2]:.1f} ms")
