// Non-maximum suppression (libtorch has no torchvision): the greedy algorithm of torchvision.ops.nms.
#include "shim.h"
#include "shim_internal.h"

#include <torch/torch.h>

namespace {

template <typename T>
at::Tensor nms_cpu(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  const int64_t n = boxes.size(0);
  auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  auto keep = torch::empty({n}, torch::kLong);
  auto b = boxes.accessor<T, 2>();
  auto ord = order.accessor<int64_t, 1>();
  auto kept = keep.accessor<int64_t, 1>();
  std::vector<T> area(n);
  for (int64_t i = 0; i < n; i++) area[i] = (b[i][2] - b[i][0]) * (b[i][3] - b[i][1]);
  std::vector<char> suppressed(n, 0);
  int64_t nk = 0;
  for (int64_t a = 0; a < n; a++) {
    int64_t i = ord[a];
    if (suppressed[i]) continue;
    kept[nk++] = i;
    for (int64_t c = a + 1; c < n; c++) {
      int64_t j = ord[c];
      if (suppressed[j]) continue;
      T w = std::max<T>(0, std::min(b[i][2], b[j][2]) - std::max(b[i][0], b[j][0]));
      T h = std::max<T>(0, std::min(b[i][3], b[j][3]) - std::max(b[i][1], b[j][1]));
      T inter = w * h;
      T iou = inter / (area[i] + area[j] - inter);
      if (iou > iou_threshold) suppressed[j] = 1;
    }
  }
  return keep.narrow(0, 0, nk);
}

}  // namespace

YS_API ys_tensor ys_nms(ys_tensor boxes_h, ys_tensor scores_h, double iou_threshold) {
  YS_TRY {
    auto& boxes = YS_T(boxes_h);
    auto& scores = YS_T(scores_h);
    TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "nms: boxes must be (N, 4), got ", boxes.sizes());
    TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), "nms: scores must be (N,) for boxes ",
                boxes.sizes(), ", got ", scores.sizes());
    auto device = boxes.device();
    auto b = boxes.detach().to(torch::kCPU).contiguous();
    auto s = scores.detach().to(torch::kCPU).contiguous();
    at::Tensor keep;
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, b.scalar_type(), "ys_nms", [&] {
      if constexpr (std::is_same_v<scalar_t, at::Half> || std::is_same_v<scalar_t, at::BFloat16>)
        keep = nms_cpu<float>(b.to(torch::kFloat), s.to(torch::kFloat), iou_threshold);
      else
        keep = nms_cpu<scalar_t>(b, s, iou_threshold);
    });
    return new at::Tensor(keep.to(device));
  }
  YS_CATCH(nullptr)
}
