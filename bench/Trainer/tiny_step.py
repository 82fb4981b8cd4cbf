# PyTorch 1.13 reference for bench/Trainer (same TinyDetector architecture as src/Trainer/Engine/TinyDetector.cs).
# usage: python3 tiny_step.py [batch] [imgsz]
import sys, time, torch, torch.nn as nn

class Conv(nn.Module):
    def __init__(s, c1, c2, k, st):
        super().__init__(); s.conv = nn.Conv2d(c1, c2, k, st, k // 2, bias=False); s.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03); s.act = nn.SiLU()
    def forward(s, x): return s.act(s.bn(s.conv(x)))

class Tiny(nn.Module):
    def __init__(s, nc=4, w=16):
        super().__init__()
        s.stem = nn.Sequential(Conv(3, w // 2, 3, 2), Conv(w // 2, w, 3, 2))
        s.p3, s.p4, s.p5 = Conv(w, 2 * w, 3, 2), Conv(2 * w, 4 * w, 3, 2), Conv(4 * w, 4 * w, 3, 2)
        s.heads = nn.ModuleList(nn.Conv2d(c, 3 * (5 + nc), 1) for c in (2 * w, 4 * w, 4 * w))
    def forward(s, x):
        f3 = s.p3(s.stem(x)); f4 = s.p4(f3); f5 = s.p5(f4)
        return [h(f) for h, f in zip(s.heads, (f3, f4, f5))]

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 16
imgsz = int(sys.argv[2]) if len(sys.argv) > 2 else 320
torch.manual_seed(0)
m = Tiny()
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.937, nesterov=True, weight_decay=5e-4)
x = torch.rand(batch, 3, imgsz, imgsz)
def step():
    t0 = time.perf_counter()
    loss = sum(o.pow(2).mean() for o in m(x)); loss.backward(); opt.step(); opt.zero_grad()
    return (time.perf_counter() - t0) * 1000
for _ in range(3): step()
times = sorted(step() for _ in range(20))
print(f"pytorch {torch.__version__} tiny-v5 mse batch {batch} imgsz {imgsz} threads {torch.get_num_threads()}: median step {times[10]:.1f} ms")
