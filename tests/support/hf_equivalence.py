#!/usr/bin/env python3
"""Loads models exported by `scalelab export --hf` with Hugging Face transformers and reports their
logits, so tests/e2e/test_export_e2e.cpp can compare them with scalelab's own.

usage: hf_equivalence.py --tokens TOKENS.json --out RESULT.json MODEL_DIR [MODEL_DIR ...]

TOKENS.json holds {"tokens": [[id, ...], ...]} (B rows of T ids). RESULT.json gets, per model folder:
the logits of LlamaForCausalLM (eager attention, fp32) as a flat list with their shape, the keys
from_pretrained reported missing / unexpected / mismatched, the config values transformers read back,
and whether every tensor that safetensors.torch.load_file reads equals the loaded model's one.
"""
import argparse
import json
import os

import safetensors
import safetensors.torch
import torch
import transformers
from packaging import version
from transformers import LlamaForCausalLM


def load(model_dir):
    # transformers 4.56 renamed from_pretrained's torch_dtype to dtype.
    newer = version.parse(transformers.__version__) >= version.parse("4.56")
    dtype_arg = {"dtype" if newer else "torch_dtype": torch.float32}
    return LlamaForCausalLM.from_pretrained(
        model_dir, output_loading_info=True, attn_implementation="eager", **dtype_arg)


def rope_theta(config):
    # transformers 5 keeps rope_theta inside rope_parameters; 4.x as an attribute.
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        return params["rope_theta"]
    return config.rope_theta


def check(model_dir, tokens):
    model, info = load(model_dir)
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=tokens).logits.float()

    # The file on its own, through the safetensors package rather than transformers.
    tensors = safetensors.torch.load_file(os.path.join(model_dir, "model.safetensors"))
    with safetensors.safe_open(os.path.join(model_dir, "model.safetensors"), framework="pt") as f:
        metadata = f.metadata()
    state = model.state_dict()
    differing = [name for name, t in tensors.items()
                 if name not in state or not torch.equal(t, state[name])]
    cfg = model.config
    return {
        "logits": logits.flatten().tolist(),
        "shape": list(logits.shape),
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": [str(k) for k in info["mismatched_keys"]],
        "tensor_names": sorted(tensors),
        "tensor_dtypes": sorted({str(t.dtype) for t in tensors.values()}),
        "tensors_differing_from_model": differing,
        "metadata": metadata,
        "lm_head_shares_embedding": model.lm_head.weight.data_ptr()
        == model.model.embed_tokens.weight.data_ptr(),
        "config": {
            "rope_theta": rope_theta(cfg),
            "rms_norm_eps": cfg.rms_norm_eps,
            "num_key_value_heads": cfg.num_key_value_heads,
            "head_dim": cfg.head_dim,
            "vocab_size": cfg.vocab_size,
            "tie_word_embeddings": cfg.tie_word_embeddings,
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("model_dirs", nargs="+")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small models; the test machine is shared
    with open(args.tokens) as f:
        tokens = torch.tensor(json.load(f)["tokens"], dtype=torch.long)
    result = {
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "torch": torch.__version__,
        "models": {d: check(d, tokens) for d in args.model_dirs},
    }
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
