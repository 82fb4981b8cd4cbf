# Prints the PyTorch 1.13 numbers baked into tests/Torch.Tests/OptimTests.cs:  /usr/bin/python3 tests/data/optim_expected.py
import torch

def run(make, steps=2, change=None):
    p1 = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    p2 = torch.tensor([1.0, -0.5, 3.0], requires_grad=True)
    g1 = [torch.tensor([[0.1, -0.2], [0.3, 0.05]]), torch.tensor([[-0.4, 0.1], [0.2, 0.6]])]
    g2 = [torch.tensor([0.7, -0.3, 0.01]), torch.tensor([0.2, 0.5, -1.5])]
    opt = make(p1, p2)
    for k in range(steps):
        p1.grad, p2.grad = g1[k].clone(), g2[k].clone()
        opt.step()
        if change:
            change(opt)
    return p1.detach().flatten().tolist(), p2.detach().tolist(), opt

a, b, opt = run(lambda p1, p2: torch.optim.SGD([
    {'params': [p1], 'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 0.01},
    {'params': [p2], 'lr': 0.05, 'momentum': 0.8, 'dampening': 0.1}], lr=1.0),
    change=lambda o: o.param_groups[0].__setitem__('lr', 0.2))
print("SGD", a, b, opt.state[opt.param_groups[0]['params'][0]]['momentum_buffer'].flatten().tolist())
a, b, opt = run(lambda p1, p2: torch.optim.AdamW([
    {'params': [p1], 'lr': 0.01, 'weight_decay': 0.1, 'betas': (0.9, 0.99)},
    {'params': [p2], 'lr': 0.02, 'weight_decay': 0.0}], lr=1.0, eps=1e-6))
st = opt.state[opt.param_groups[1]['params'][0]]
print("AdamW", a, b, st['step'].item(), st['exp_avg'].tolist(), st['exp_avg_sq'].tolist())
a, b, _ = run(lambda p1, p2: torch.optim.AdamW([p1, p2], lr=0.01, amsgrad=True))
print("AdamW amsgrad", a, b)
# Adam (L2 weight decay into the gradient), beta1 changed between the steps as a scheduler would
a, b, opt = run(lambda p1, p2: torch.optim.Adam([
    {'params': [p1], 'lr': 0.01, 'weight_decay': 0.1, 'betas': (0.8, 0.999)},
    {'params': [p2], 'lr': 0.02, 'weight_decay': 0.0}], lr=1.0, eps=1e-6),
    change=lambda o: o.param_groups[0].__setitem__('betas', (0.9, 0.999)))
st = opt.state[opt.param_groups[0]['params'][0]]
print("Adam", a, b, st['exp_avg'].flatten().tolist())
