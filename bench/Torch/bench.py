# PyTorch side of bench/Torch (same ops, sizes, threads, loop):  /usr/bin/python3 bench/Torch/bench.py [threads] [tiny|conv|all]
import sys, time, torch
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
which = sys.argv[2] if len(sys.argv) > 2 else "all"
torch.set_num_threads(threads)
print(f"torch {torch.__version__}  threads {torch.get_num_threads()}")

def bench(what, n, repeats, body, unit):
    body(max(1, n // 10))
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        body(n)
        best = min(best, (time.perf_counter() - t) / n)
    print(f"{what:<55} {best * unit:10.1f}   (best of {repeats} x {n})")

if which in ("tiny", "all"):
    a, b = torch.ones(1), torch.ones(1)
    def tiny(n):
        for _ in range(n):
            c = a + b
    bench("add 1-element (ns/op)", 200_000, 5, tiny, 1e9)

if which in ("conv", "all"):
    conv = torch.nn.Conv2d(64, 64, 3, padding=1, bias=False)
    bn = torch.nn.BatchNorm2d(64)
    x = torch.randn(8, 64, 80, 80)
    def block(n):
        for _ in range(n):
            y = torch.nn.functional.silu(bn(conv(x)))
            y.sum().backward()
    bench("conv block 64->64 3x3 b8 80x80 fwd+bwd (ms/iter)", 20, 5, block, 1e3)
