"""PyTorch peer for glasslm's benchmarks: the same GPT-2-style model, timed on the same cores.

  python3 torch_peer.py train  [--iters N]   nanoGPT's CPU Tiny Shakespeare set-up (4 layers, 4 heads,
                                             width 128, context 64, batch 12, vocab 65): ms per step
  python3 torch_peer.py decode [--tokens N]  GPT-2-small shape (12 layers, width 768, vocab 50257, random
                                             weights): greedy decode with a KV cache, tokens per second
Prints one JSON line. Written for this benchmark (a plain GPT-2 block, as nanoGPT's model.py).
"""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def attention(q, k, v):
    # causal softmax(q kᵀ / √d) v, written out (torch 1.13 has no scaled_dot_product_attention)
    T, S = q.shape[2], k.shape[2]
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
    if T > 1:
        mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        att = att.masked_fill(~mask, float("-inf"))
    return F.softmax(att, dim=-1) @ v


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        if cache is not None:
            if cache:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
        y = attention(q, k, v)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, ctx, d, layers, h):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList(Block(d, h) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, idx, start=0, caches=None):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(start, start + T))
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.T


def train(args):
    torch.manual_seed(0)
    model = GPT(65, 64, 128, 4, 4)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    x = torch.randint(0, 65, (12, 64))
    y = torch.randint(0, 65, (12, 64))
    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).view(-1, 65), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    ms = 1000 * times[len(times) // 2]
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "ms_per_step": ms, "tokens_per_s": 12 * 64 / (ms / 1000)}))


@torch.no_grad()
def decode(args):
    torch.manual_seed(0)
    model = GPT(50257, 1024, 768, 12, 12).eval()
    caches = [[] for _ in range(12)]
    idx = torch.tensor([[50256]])
    logits = model(idx, 0, caches)
    t0 = time.perf_counter()
    for pos in range(1, args.tokens + 1):
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        logits = model(nxt, pos, caches)
    s = time.perf_counter() - t0
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "tokens_per_s": args.tokens / s}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "decode"])
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    train(a) if a.mode == "train" else decode(a)
