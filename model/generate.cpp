#include "model/generate.h"

#include <stdexcept>

namespace scalelab {

namespace {

// The next id from the last position's logits (1-D, vocab_size long).
int64_t pick_next(torch::Tensor logits, const GenerateOptions& options, at::Generator& rng) {
  if (options.temperature == 0) return logits.argmax().item<int64_t>();
  // Shifted so the largest logit is 0: a tiny temperature then gives -inf for the others, never
  // inf - inf = NaN.
  logits = (logits - logits.max()) / options.temperature;
  if (options.top_k > 0 && options.top_k < logits.size(0)) {
    // Everything below the k-th largest logit gets probability zero.
    const auto kth = std::get<0>(logits.topk(options.top_k)).index({-1});
    logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
  }
  const auto probs = torch::softmax(logits, 0);
  return torch::multinomial(probs, 1, /*replacement=*/false, rng).item<int64_t>();
}

}  // namespace

std::vector<int64_t> generate(GPT& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& options, const OnToken& on_token) {
  if (prompt.empty()) throw std::invalid_argument("generate: the prompt has no tokens");
  if (!(options.temperature >= 0)) throw std::invalid_argument("generate: temperature < 0");
  const int64_t vocab = options.vocab_size > 0 ? options.vocab_size : model->config().vocab_size;
  const int64_t block = model->config().block_size;
  torch::NoGradGuard no_grad;
  model->eval();
  model->to(torch::kCPU, torch::kFloat32);
  auto rng = at::make_generator<at::CPUGeneratorImpl>(options.seed);

  std::vector<int64_t> context = prompt, generated;
  for (int64_t i = 0; i < options.max_new_tokens; ++i) {
    const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(context.size()) - block);
    const std::vector<int64_t> window(context.begin() + start, context.end());
    const auto idx = torch::tensor(window, torch::kLong).unsqueeze(0);
    const auto last = model->forward(idx).index({0, -1}).slice(0, 0, vocab).to(torch::kFloat32);
    const int64_t next = pick_next(last, options, rng);
    generated.push_back(next);
    context.push_back(next);
    if (next == options.stop_token) break;
    if (on_token && !on_token(next)) break;
  }
  return generated;
}

}  // namespace scalelab
