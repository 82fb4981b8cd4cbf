// libys_torch: see shim.h for the design.
#include "shim.h"
#include "shim_internal.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#ifdef YS_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace {
thread_local std::string g_error;
thread_local std::string g_text;
}  // namespace

namespace ys {
void set_error(const char* msg) { g_error = msg ? msg : "unknown error"; }
void clear_error() { g_error.clear(); }
}  // namespace ys

YS_API const char* ys_last_error() { return g_error.empty() ? nullptr : g_error.c_str(); }

YS_API const char* ys_version() {
  static std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
}

// ---------------------------------------------------------------- operators

YS_API ys_op ys_op_find(const char* name, const char* overload) {
  YS_TRY {
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload ? overload : "");
    return new c10::OperatorHandle(handle);
  }
  YS_CATCH(nullptr)
}

YS_API void ys_op_free(ys_op op) { delete static_cast<c10::OperatorHandle*>(op); }

YS_API const char* ys_op_schema(ys_op op) {
  YS_TRY {
    std::ostringstream s;
    s << static_cast<c10::OperatorHandle*>(op)->schema();
    g_text = s.str();
    return g_text.c_str();
  }
  YS_CATCH(nullptr)
}

namespace {

// The argument's declared type with Optional[...] removed.
c10::TypePtr unwrap_optional(const c10::TypePtr& t) {
  if (t->kind() == c10::TypeKind::OptionalType) return t->castRaw<c10::OptionalType>()->getElementType();
  return t;
}

c10::IValue to_ivalue(const ys_arg& a, const c10::Argument& decl) {
  auto type = unwrap_optional(decl.type());
  auto kind = type->kind();
  switch (a.kind) {
    case YS_NONE:
      return c10::IValue();
    case YS_TENSOR:
      if (!a.p) return c10::IValue();
      return c10::IValue(*static_cast<at::Tensor*>(a.p));
    case YS_INT:
      if (kind == c10::TypeKind::FloatType) return c10::IValue(static_cast<double>(a.i));
      if (kind == c10::TypeKind::BoolType) return c10::IValue(a.i != 0);
      if (kind == c10::TypeKind::ListType) {
        // Python semantics: an int given for int[N] is repeated N times.
        auto n = decl.N() ? *decl.N() : 1;
        auto elem = type->castRaw<c10::ListType>()->getElementType()->kind();
        if (elem == c10::TypeKind::FloatType) return c10::IValue(std::vector<double>(n, static_cast<double>(a.i)));
        return c10::IValue(std::vector<int64_t>(n, a.i));
      }
      return c10::IValue(a.i);
    case YS_DOUBLE:
      if (kind == c10::TypeKind::IntType)
        throw std::invalid_argument("argument '" + decl.name() + "' is an int, got a float");
      if (kind == c10::TypeKind::ListType) {
        auto n = decl.N() ? *decl.N() : 1;
        return c10::IValue(std::vector<double>(n, a.d));
      }
      return c10::IValue(a.d);
    case YS_BOOL:
      return c10::IValue(a.i != 0);
    case YS_INT_LIST: {
      auto p = static_cast<const int64_t*>(a.p);
      if (kind == c10::TypeKind::ListType &&
          type->castRaw<c10::ListType>()->getElementType()->kind() == c10::TypeKind::FloatType)
        return c10::IValue(std::vector<double>(p, p + a.len));
      return c10::IValue(std::vector<int64_t>(p, p + a.len));
    }
    case YS_DOUBLE_LIST: {
      auto p = static_cast<const double*>(a.p);
      return c10::IValue(std::vector<double>(p, p + a.len));
    }
    case YS_TENSOR_LIST: {
      auto p = static_cast<ys_tensor const*>(a.p);
      std::vector<at::Tensor> v;
      v.reserve(a.len);
      for (int i = 0; i < a.len; i++) v.push_back(*static_cast<at::Tensor*>(p[i]));
      return c10::IValue(v);
    }
    case YS_OPT_TENSOR_LIST: {
      auto p = static_cast<ys_tensor const*>(a.p);
      c10::List<c10::optional<at::Tensor>> v;
      v.reserve(a.len);
      for (int i = 0; i < a.len; i++)
        v.push_back(p[i] ? c10::optional<at::Tensor>(*static_cast<at::Tensor*>(p[i])) : c10::nullopt);
      return c10::IValue(v);
    }
    case YS_BOOL_LIST: {
      auto p = static_cast<const int64_t*>(a.p);
      c10::List<bool> v;
      for (int i = 0; i < a.len; i++) v.push_back(p[i] != 0);
      return c10::IValue(v);
    }
    case YS_STRING:
      return c10::IValue(std::string(static_cast<const char*>(a.p)));
    case YS_SCALAR_TYPE:
      return c10::IValue(static_cast<c10::ScalarType>(a.i));
    case YS_DEVICE:
      return c10::IValue(c10::Device(static_cast<c10::DeviceType>(a.i), static_cast<c10::DeviceIndex>(a.len)));
    case YS_GENERATOR:
      return c10::IValue(*static_cast<at::Generator*>(a.p));
    case YS_MEMORY_FORMAT:
      return c10::IValue(static_cast<c10::MemoryFormat>(a.i));
  }
  throw std::invalid_argument("unknown argument kind " + std::to_string(a.kind));
}

void put_result(const c10::IValue& v, ys_arg* outs, int32_t maxouts, int32_t& n) {
  auto need = [&](int k) {
    if (n + k > maxouts) throw std::runtime_error("operator returned more results than the caller expected");
  };
  ys_arg r{};
  if (v.isTensor()) {
    need(1);
    r.kind = YS_TENSOR;
    r.p = new at::Tensor(v.toTensor());
    outs[n++] = r;
  } else if (v.isTensorList()) {
    auto list = v.toTensorList();
    need(1 + static_cast<int>(list.size()));
    r.kind = YS_TENSOR_LIST;
    r.len = static_cast<int32_t>(list.size());
    outs[n++] = r;
    for (const at::Tensor& t : list) {
      ys_arg e{};
      e.kind = YS_TENSOR;
      e.p = new at::Tensor(t);
      outs[n++] = e;
    }
  } else if (v.isInt()) {
    need(1);
    r.kind = YS_INT;
    r.i = v.toInt();
    outs[n++] = r;
  } else if (v.isDouble()) {
    need(1);
    r.kind = YS_DOUBLE;
    r.d = v.toDouble();
    outs[n++] = r;
  } else if (v.isBool()) {
    need(1);
    r.kind = YS_BOOL;
    r.i = v.toBool();
    outs[n++] = r;
  } else if (v.isNone()) {
    need(1);
    outs[n++] = r;
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) put_result(e, outs, maxouts, n);
  } else {
    throw std::runtime_error(std::string("unsupported result type ") + v.tagKind());
  }
}

}  // namespace

YS_API int ys_op_call(ys_op op, const ys_arg* args, int32_t nargs, const char* const* kwnames, int32_t nkw,
                      ys_arg* outs, int32_t maxouts, int32_t* nouts) {
  YS_TRY {
    auto& handle = *static_cast<c10::OperatorHandle*>(op);
    const auto& schema = handle.schema();
    const auto& decls = schema.arguments();
    if (nargs > static_cast<int32_t>(decls.size()))
      throw std::invalid_argument("too many arguments for " + schema.name());
    std::vector<c10::IValue> stack;
    stack.reserve(decls.size());
    for (size_t i = 0; i < decls.size(); i++) {
      const auto& decl = decls[i];
      if (static_cast<int32_t>(i) < nargs) {
        stack.push_back(to_ivalue(args[i], decl));
        continue;
      }
      int found = -1;
      for (int k = 0; k < nkw; k++)
        if (decl.name() == kwnames[k]) found = k;
      if (found >= 0) {
        stack.push_back(to_ivalue(args[nargs + found], decl));
      } else if (decl.default_value()) {
        stack.push_back(*decl.default_value());
      } else {
        std::ostringstream s;
        s << "missing argument '" << decl.name() << "' for " << schema;
        throw std::invalid_argument(s.str());
      }
    }
    handle.callBoxed(stack);
    int32_t n = 0;
    for (const auto& v : stack) put_result(v, outs, maxouts, n);
    *nouts = n;
    return 0;
  }
  YS_CATCH(1)
}

// ---------------------------------------------------------------- tensors

YS_API void ys_tensor_free(ys_tensor t) { delete static_cast<at::Tensor*>(t); }

YS_API ys_tensor ys_tensor_alias(ys_tensor t) {
  YS_TRY { return new at::Tensor(YS_T(t)); }
  YS_CATCH(nullptr)
}

YS_API ys_tensor ys_tensor_from_data(const void* data, const int64_t* shape, int32_t ndim, int32_t dtype) {
  YS_TRY {
    auto t = torch::empty(c10::IntArrayRef(shape, ndim), torch::dtype(static_cast<c10::ScalarType>(dtype)));
    if (data && t.numel() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
    return new at::Tensor(std::move(t));
  }
  YS_CATCH(nullptr)
}

YS_API ys_tensor ys_tensor_from_blob(void* data, const int64_t* shape, int32_t ndim, int32_t dtype,
                                     void (*deleter)(void* ctx), void* ctx) {
  YS_TRY {
    auto t = torch::from_blob(data, c10::IntArrayRef(shape, ndim), [deleter, ctx](void*) { deleter(ctx); },
                              torch::dtype(static_cast<c10::ScalarType>(dtype)));
    return new at::Tensor(std::move(t));
  }
  YS_CATCH(nullptr)
}

YS_API int ys_tensor_ndim(ys_tensor t) { return static_cast<int>(YS_T(t).dim()); }

YS_API int ys_tensor_shape(ys_tensor t, int64_t* out) {
  auto s = YS_T(t).sizes();
  std::copy(s.begin(), s.end(), out);
  return 0;
}

YS_API int ys_tensor_strides(ys_tensor t, int64_t* out) {
  YS_TRY {
    auto s = YS_T(t).strides();
    std::copy(s.begin(), s.end(), out);
    return 0;
  }
  YS_CATCH(1)
}

YS_API int32_t ys_tensor_dtype(ys_tensor t) { return static_cast<int32_t>(YS_T(t).scalar_type()); }

YS_API int ys_tensor_device(ys_tensor t, int32_t* type, int32_t* index) {
  auto d = YS_T(t).device();
  *type = static_cast<int32_t>(d.type());
  *index = d.index();
  return 0;
}

YS_API int64_t ys_tensor_numel(ys_tensor t) { return YS_T(t).numel(); }

YS_API int ys_tensor_is_contiguous(ys_tensor t, int32_t memory_format) {
  YS_TRY { return YS_T(t).is_contiguous(static_cast<c10::MemoryFormat>(memory_format)) ? 1 : 0; }
  YS_CATCH(-1)
}

YS_API void* ys_tensor_data_ptr(ys_tensor t) {
  YS_TRY {
    auto& x = YS_T(t);
    TORCH_CHECK(x.device().is_cpu(), "data_ptr needs a CPU tensor, got one on ", x.device());
    return x.data_ptr();
  }
  YS_CATCH(nullptr)
}

YS_API int ys_tensor_copy_to(ys_tensor t, void* dst, int64_t nbytes) {
  YS_TRY {
    auto c = YS_T(t).detach().to(torch::kCPU).contiguous();
    TORCH_CHECK(static_cast<int64_t>(c.nbytes()) == nbytes, "copy_to: tensor has ", c.nbytes(),
                " bytes, destination ", nbytes);
    if (nbytes > 0) std::memcpy(dst, c.data_ptr(), nbytes);
    return 0;
  }
  YS_CATCH(1)
}

YS_API int ys_tensor_requires_grad(ys_tensor t) { return YS_T(t).requires_grad(); }
YS_API int ys_tensor_is_leaf(ys_tensor t) { return YS_T(t).is_leaf(); }

YS_API ys_tensor ys_tensor_grad(ys_tensor t) {
  ys::clear_error();
  YS_TRY {
    const auto& g = YS_T(t).grad();
    return g.defined() ? new at::Tensor(g) : nullptr;
  }
  YS_CATCH(nullptr)
}

YS_API int ys_tensor_set_grad(ys_tensor t, ys_tensor grad) {
  YS_TRY {
    YS_T(t).mutable_grad() = grad ? YS_T(grad) : at::Tensor();
    return 0;
  }
  YS_CATCH(1)
}

YS_API int ys_tensor_set_data(ys_tensor t, ys_tensor src) {
  YS_TRY {
    YS_T(t).set_data(YS_T(src));
    return 0;
  }
  YS_CATCH(1)
}

YS_API const char* ys_tensor_to_string(ys_tensor t) {
  YS_TRY {
    std::ostringstream s;
    s << YS_T(t);
    g_text = s.str();
    return g_text.c_str();
  }
  YS_CATCH(nullptr)
}

YS_API int ys_backward(const ys_tensor* tensors, const ys_tensor* grads, int32_t n, int retain_graph,
                       int create_graph) {
  YS_TRY {
    std::vector<at::Tensor> ts, gs;
    for (int i = 0; i < n; i++) {
      ts.push_back(YS_T(tensors[i]));
      gs.push_back(grads && grads[i] ? YS_T(grads[i]) : at::Tensor());
    }
    torch::autograd::backward(ts, gs, retain_graph != 0, create_graph != 0);
    return 0;
  }
  YS_CATCH(1)
}

// ---------------------------------------------------------------- global state

YS_API int ys_grad_enabled() { return at::GradMode::is_enabled(); }
YS_API void ys_set_grad_enabled(int enabled) { at::GradMode::set_enabled(enabled != 0); }

YS_API int ys_manual_seed(uint64_t seed) {
  YS_TRY {
    torch::manual_seed(seed);
    return 0;
  }
  YS_CATCH(1)
}

YS_API void ys_set_num_threads(int32_t n) { at::set_num_threads(n); }
YS_API int32_t ys_get_num_threads() { return at::get_num_threads(); }

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define YS_NEW_AUTOCAST_API 1
#endif

YS_API int ys_autocast_set(int32_t device_type, int enabled, int32_t dtype) {
  YS_TRY {
    auto dev = static_cast<c10::DeviceType>(device_type);
    auto st = static_cast<c10::ScalarType>(dtype);
#ifdef YS_NEW_AUTOCAST_API
    int prev = at::autocast::is_autocast_enabled(dev);
    at::autocast::set_autocast_enabled(dev, enabled != 0);
    at::autocast::set_autocast_dtype(dev, st);
#else
    int prev;
    if (dev == c10::DeviceType::CPU) {
      prev = at::autocast::is_cpu_enabled();
      at::autocast::set_cpu_enabled(enabled != 0);
      at::autocast::set_autocast_cpu_dtype(st);
    } else {
      prev = at::autocast::is_enabled();
      at::autocast::set_enabled(enabled != 0);
      at::autocast::set_autocast_gpu_dtype(st);
    }
#endif
    return prev;
  }
  YS_CATCH(-1)
}

YS_API int ys_autocast_enabled(int32_t device_type) {
  auto dev = static_cast<c10::DeviceType>(device_type);
#ifdef YS_NEW_AUTOCAST_API
  return at::autocast::is_autocast_enabled(dev);
#else
  return dev == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

YS_API int32_t ys_autocast_dtype(int32_t device_type) {
  auto dev = static_cast<c10::DeviceType>(device_type);
#ifdef YS_NEW_AUTOCAST_API
  return static_cast<int32_t>(at::autocast::get_autocast_dtype(dev));
#else
  return static_cast<int32_t>(dev == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                                          : at::autocast::get_autocast_gpu_dtype());
#endif
}

YS_API void ys_autocast_clear_cache() { at::autocast::clear_cache(); }
YS_API void ys_autocast_increment_nesting() { at::autocast::increment_nesting(); }
YS_API int ys_autocast_decrement_nesting() { return at::autocast::decrement_nesting(); }

// ---------------------------------------------------------------- generators

YS_API ys_generator ys_generator_new(uint64_t seed, int32_t device_type, int32_t device_index) {
  YS_TRY {
    auto dev = static_cast<c10::DeviceType>(device_type);
    at::Generator g;
    if (dev == c10::DeviceType::CPU) {
      g = at::detail::createCPUGenerator(seed);
    } else {
#ifdef YS_WITH_CUDA
      g = at::cuda::detail::createCUDAGenerator(device_index);
      g.set_current_seed(seed);
#else
      throw std::invalid_argument("this libtorch has no CUDA: cannot create a generator on a CUDA device");
#endif
    }
    return new at::Generator(g);
  }
  YS_CATCH(nullptr)
}

YS_API void ys_generator_free(ys_generator g) { delete static_cast<at::Generator*>(g); }

YS_API int ys_generator_manual_seed(ys_generator g, uint64_t seed) {
  YS_TRY {
    auto& gen = *static_cast<at::Generator*>(g);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
    return 0;
  }
  YS_CATCH(1)
}

YS_API uint64_t ys_generator_initial_seed(ys_generator g) { return static_cast<at::Generator*>(g)->current_seed(); }

// ---------------------------------------------------------------- CUDA

YS_API int ys_cuda_is_available() { return torch::cuda::is_available(); }
YS_API int32_t ys_cuda_device_count() { return static_cast<int32_t>(torch::cuda::device_count()); }

YS_API int ys_cuda_synchronize(int32_t device) {
  YS_TRY {
#ifdef YS_WITH_CUDA
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    c10::cuda::device_synchronize();
#endif
    return 0;
  }
  YS_CATCH(1)
}

YS_API int ys_cudnn_set_benchmark(int enabled) {
  YS_TRY {
    at::globalContext().setBenchmarkCuDNN(enabled != 0);
    return 0;
  }
  YS_CATCH(1)
}

YS_API int ys_cuda_memory(int32_t device, int64_t* allocated, int64_t* reserved, int64_t* max_allocated,
                          int64_t* total) {
  YS_TRY {
#ifdef YS_WITH_CUDA
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    *allocated = stats.allocated_bytes[0].current;  // index 0: StatType::AGGREGATE in every version
    *reserved = stats.reserved_bytes[0].current;
    *max_allocated = stats.allocated_bytes[0].peak;
    *total = static_cast<int64_t>(at::cuda::getDeviceProperties(device)->totalGlobalMem);
    return 0;
#else
    throw std::invalid_argument("this libtorch has no CUDA");
#endif
  }
  YS_CATCH(1)
}

YS_API int ys_cuda_device_name(int32_t device, char* buf, int32_t buflen) {
  YS_TRY {
#ifdef YS_WITH_CUDA
    std::snprintf(buf, buflen, "%s", at::cuda::getDeviceProperties(device)->name);
    return 0;
#else
    throw std::invalid_argument("this libtorch has no CUDA");
#endif
  }
  YS_CATCH(1)
}

YS_API int ys_cuda_empty_cache() {
  YS_TRY {
#ifdef YS_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    return 0;
  }
  YS_CATCH(1)
}
