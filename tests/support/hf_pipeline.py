#!/usr/bin/env python3
"""Loads folders written by `scalelab export --hf` the way a user would (AutoTokenizer,
AutoModelForCausalLM, pipeline("text-generation")), with no edits, and reports greedy continuations
so that tests/e2e/test_sample_e2e.cpp can compare them with `scalelab sample --temperature 0`.

usage: hf_pipeline.py --cases CASES.json --out RESULT.json

CASES.json: {"cases": [{"model_dir": D, "prompt": P, "max_new_tokens": N, "texts": [T, ...]}]}.
RESULT.json, per case: the prompt's input_ids, the ids model.generate() adds (greedy), the text
pipeline() adds (greedy, return_full_text=False), and the ids the tokenizer gives each of `texts`
without special tokens, with their decode.
"""
import argparse
import json

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline


def run(case):
    tokenizer = AutoTokenizer.from_pretrained(case["model_dir"])
    model = AutoModelForCausalLM.from_pretrained(case["model_dir"])
    model.eval()
    n = case["max_new_tokens"]
    inputs = tokenizer(case["prompt"], return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, do_sample=False, max_new_tokens=n)
    prompt_ids = inputs["input_ids"][0].tolist()
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")
    text = generator(case["prompt"], do_sample=False, max_new_tokens=n,
                     return_full_text=False)[0]["generated_text"]
    encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in case["texts"]]
    return {
        "tokenizer_class": type(tokenizer).__name__,
        "bos_token_id": tokenizer.bos_token_id,
        "prompt_ids": prompt_ids,
        "generated_ids": out[0][len(prompt_ids):].tolist(),
        "pipeline_text": text,
        "encoded": encoded,
        "decoded": [tokenizer.decode(ids) for ids in encoded],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny models; the test machine is shared
    with open(args.cases) as f:
        cases = json.load(f)["cases"]
    result = {"transformers": transformers.__version__, "cases": [run(c) for c in cases]}
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
