# Parameter counts of yolov5-effnetv2 as yolov5 v7.0 builds it: seed 002's stem / FusedMBConv / MBConv /
# SqueezeExcite_efficientv2 and yolov5's Conv, C3, SPPF, Detect, wired by yolov5's parse_model, including its
# output-width exemption (`if c2 != no:  # if not output`). The constants of ZooCountsTests come from here.
# usage: /usr/bin/python3 yolov5_effnetv2_params.py [scale] [nc ...]      (python3-torch, PyYAML)
import math, os, sys, torch.nn as nn, yaml

class Conv(nn.Module):
    def __init__(s, c1, c2, k=1, st=1, p=None):
        super().__init__()
        s.conv = nn.Conv2d(c1, c2, k, st, k // 2 if p is None else p, bias=False); s.bn = nn.BatchNorm2d(c2); s.act = nn.SiLU()

class Bottleneck(nn.Module):
    def __init__(s, c1, c2, shortcut=True, e=1.0):
        super().__init__(); c_ = int(c2 * e); s.cv1 = Conv(c1, c_, 1); s.cv2 = Conv(c_, c2, 3)

class C3(nn.Module):
    def __init__(s, c1, c2, n=1, shortcut=True, e=0.5):
        super().__init__(); c_ = int(c2 * e)
        s.cv1, s.cv2, s.cv3 = Conv(c1, c_), Conv(c1, c_), Conv(2 * c_, c2)
        s.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, 1.0) for _ in range(n)))

class SPPF(nn.Module):
    def __init__(s, c1, c2, k=5):
        super().__init__(); c_ = c1 // 2; s.cv1 = Conv(c1, c_); s.cv2 = Conv(c_ * 4, c2); s.m = nn.MaxPool2d(k, 1, k // 2)

class Detect(nn.Module):
    def __init__(s, nc, anchors, ch):
        super().__init__(); no, na = nc + 5, len(anchors[0]) // 2
        s.m = nn.ModuleList(nn.Conv2d(x, no * na, 1) for x in ch)

# seed 002, as printed
class stem(nn.Module):
    def __init__(self, c1, c2, kernel_size=3, stride=1, groups=1):
        super().__init__()
        padding = (kernel_size - 1) // 2
        self.conv = nn.Conv2d(c1, c2, kernel_size, stride, padding=padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.1)
        self.act = nn.SiLU(inplace=True)

class SqueezeExcite_efficientv2(nn.Module):
    def __init__(self, c1, c2, se_ratio=0.25, act_layer=nn.ReLU):
        super().__init__()
        self.gate_fn = nn.Sigmoid()
        reduced_chs = int(c1 * se_ratio)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_reduce = nn.Conv2d(c1, reduced_chs, 1, bias=True)
        self.act1 = act_layer(inplace=True)
        self.conv_expand = nn.Conv2d(reduced_chs, c2, 1, bias=True)

class FusedMBConv(nn.Module):
    def __init__(self, c1, c2, k=3, s=1, expansion=1, se_ration=0, dropout_rate=0.2, drop_connect_rate=0.2):
        super().__init__()
        expanded_c = c1 * expansion
        if expansion != 1:
            self.expansion_conv = stem(c1, expanded_c, kernel_size=k, stride=s)
            self.project_conv = stem(expanded_c, c2, kernel_size=1, stride=1)
        else:
            self.project_conv = stem(c1, c2, kernel_size=k, stride=s)

class MBConv(nn.Module):
    def __init__(self, c1, c2, k=3, s=1, expansion=1, se_ration=0, dropout_rate=0.2, drop_connect_rate=0.2):
        super().__init__()
        expanded_c = c1 * expansion
        self.expansion_conv = stem(c1, expanded_c, kernel_size=1, stride=1)
        self.dw_conv = stem(expanded_c, expanded_c, kernel_size=k, stride=s, groups=expanded_c)
        self.se = SqueezeExcite_efficientv2(expanded_c, expanded_c, se_ration) if se_ration > 0 else nn.Identity()
        self.project_conv = stem(expanded_c, c2, kernel_size=1, stride=1)

def make_divisible(x, d): return math.ceil(x / d) * d

def params(cfg, scale, nc):
    gd, gw = cfg["scales"][scale]
    anchors = cfg["anchors"]
    no = len(anchors[0]) // 2 * (nc + 5)  # number of outputs = anchors * (classes + 5)
    ch, layers = [3], []
    for i, (f, n, m, args) in enumerate(cfg["backbone"] + cfg["head"]):
        n = max(round(n * gd), 1) if n > 1 else n
        if m in ("Conv", "C3", "SPPF", "stem", "FusedMBConv", "MBConv"):
            c1, c2 = ch[f], args[0]
            if c2 != no:  # if not output
                c2 = make_divisible(c2 * gw, 8)
            args = [c1, c2, *args[1:]]
            if m == "C3": args.insert(2, n); n = 1
            cls = globals()[m]
            mod = nn.Sequential(*(cls(*args) for _ in range(n))) if n > 1 else cls(*args)
        elif m == "nn.Upsample": mod, c2 = nn.Identity(), ch[f]
        elif m == "Concat": mod, c2 = nn.Identity(), sum(ch[x] for x in f)
        elif m == "Detect": mod, c2 = Detect(nc, anchors, [ch[x] for x in f]), 0
        layers.append(mod)
        if i == 0: ch = []
        ch.append(c2)
    return sum(p.numel() for p in nn.Sequential(*layers).parameters())

if __name__ == "__main__":
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
    cfg = yaml.safe_load(open(os.path.join(root, "configs", "models", "yolov5-effnetv2.yaml")))
    scale = sys.argv[1] if len(sys.argv) > 1 else "n"
    for nc in [int(a) for a in sys.argv[2:]] or [3, 11, 80]:
        print(f"yolov5-effnetv2 {scale} nc={nc}: {params(cfg, scale, nc):,} parameters")
