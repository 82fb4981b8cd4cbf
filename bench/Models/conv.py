# PyTorch side of `bench/Models -- --conv` (same op, sizes, threads and timing loop):
#   /usr/bin/python3 bench/Models/conv.py [threads]
import sys, time, torch
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
by_default = torch.get_num_threads()
torch.set_num_threads(threads)
print(f"theirs torch {torch.__version__}  threads {torch.get_num_threads()} (default {by_default})  mkldnn {torch.backends.mkldnn.enabled}")

def bench(what, n, body):
    for _ in range(max(1, n // 5)): body()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n): body()
        best = min(best, (time.perf_counter() - t) / n)
    print(f"{what:<58} {best * 1e3:9.3f} ms")

g = torch.Generator().manual_seed(0)
with torch.no_grad():
    for hw in (10, 20, 80):
        x = torch.rand(1, 128, hw, hw, generator=g); w = torch.rand(128, 128, 3, 3, generator=g) - 0.5
        n = 100 if hw <= 20 else 10
        bench(f"conv2d 3x3 128->128, 1x128x{hw}x{hw}", n, lambda: torch.nn.functional.conv2d(x, w, None, 1, 1))
        bench(f"  mkldnn_convolution, same", n, lambda: torch.mkldnn_convolution(x, w, None, [1, 1], [1, 1], [1, 1], 1))
        x2 = torch.rand(2, 128, hw, hw, generator=g)
        bench(f"  conv2d, batch 2 (ms per call)", n, lambda: torch.nn.functional.conv2d(x2, w, None, 1, 1))
