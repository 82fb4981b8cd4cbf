// Flat C API of libys_torch over the libtorch C++ API.
//
// Design: rather than one exported function per operator, the shim exposes libtorch's own operator
// dispatcher. The managed side looks an operator up once by its schema name ("aten::conv2d") and calls it
// with a boxed argument list; the shim fills defaults and converts arguments using the operator's schema.
// Every ATen operator (and autograd, autocast, CUDA) is thus reachable without new C++, and the same code
// works against libtorch 1.13 and 2.x.
//
// Errors: every function catches C++ exceptions. Functions returning a pointer return null, functions
// returning int return non-zero; ys_last_error() then holds libtorch's message (thread-local).
#pragma once
#include <cstdint>

#define YS_API extern "C" __attribute__((visibility("default")))

typedef void* ys_tensor;     // heap-allocated at::Tensor
typedef void* ys_op;         // heap-allocated c10::OperatorHandle
typedef void* ys_generator;  // heap-allocated at::Generator

enum ys_kind : int32_t {
  YS_NONE = 0,
  YS_TENSOR = 1,        // p: ys_tensor (null = undefined tensor, passed as None)
  YS_INT = 2,           // i
  YS_DOUBLE = 3,        // d
  YS_BOOL = 4,          // i
  YS_INT_LIST = 5,      // p: int64_t*, len
  YS_DOUBLE_LIST = 6,   // p: double*, len
  YS_TENSOR_LIST = 7,   // p: ys_tensor*, len
  YS_STRING = 8,        // p: const char*
  YS_SCALAR_TYPE = 9,   // i: c10::ScalarType
  YS_DEVICE = 10,       // i: c10::DeviceType, len: index
  YS_GENERATOR = 11,    // p: ys_generator
  YS_MEMORY_FORMAT = 12,// i: c10::MemoryFormat
  YS_OPT_TENSOR_LIST = 13, // p: ys_tensor*, len; null entries are None (for aten::index)
  YS_BOOL_LIST = 14,    // p: int64_t*, len
};

struct ys_arg {
  int32_t kind;
  int32_t len;
  int64_t i;
  double d;
  void* p;
};

YS_API const char* ys_last_error();
YS_API const char* ys_version();

// Operators
YS_API ys_op ys_op_find(const char* name, const char* overload);
YS_API void ys_op_free(ys_op op);
YS_API const char* ys_op_schema(ys_op op);  // valid until the next call on this thread
// Calls op with positional args followed by nkw keyword args (kwnames names them). Results go to outs
// (at most maxouts entries); a tensor list result is one YS_TENSOR_LIST entry followed by its tensors.
YS_API int ys_op_call(ys_op op, const ys_arg* args, int32_t nargs, const char* const* kwnames, int32_t nkw,
                      ys_arg* outs, int32_t maxouts, int32_t* nouts);

// Tensors
YS_API void ys_tensor_free(ys_tensor t);
YS_API ys_tensor ys_tensor_alias(ys_tensor t);  // another handle to the same tensor (shares storage and autograd)
YS_API ys_tensor ys_tensor_from_data(const void* data, const int64_t* shape, int32_t ndim, int32_t dtype);
// A CPU tensor over caller-owned memory (no copy). deleter(ctx) runs, on whatever thread drops the last
// reference to the storage, when libtorch no longer needs the memory.
YS_API ys_tensor ys_tensor_from_blob(void* data, const int64_t* shape, int32_t ndim, int32_t dtype,
                                     void (*deleter)(void* ctx), void* ctx);
YS_API int ys_tensor_ndim(ys_tensor t);
YS_API int ys_tensor_shape(ys_tensor t, int64_t* out);  // out: ndim entries
YS_API int ys_tensor_strides(ys_tensor t, int64_t* out);
YS_API int32_t ys_tensor_dtype(ys_tensor t);
YS_API int ys_tensor_device(ys_tensor t, int32_t* type, int32_t* index);
YS_API int64_t ys_tensor_numel(ys_tensor t);
YS_API int ys_tensor_is_contiguous(ys_tensor t, int32_t memory_format);  // not a dispatcher op: a TensorImpl query
YS_API void* ys_tensor_data_ptr(ys_tensor t);  // CPU only
YS_API int ys_tensor_copy_to(ys_tensor t, void* dst, int64_t nbytes);  // contiguous copy to host memory
YS_API int ys_tensor_requires_grad(ys_tensor t);
YS_API int ys_tensor_is_leaf(ys_tensor t);
YS_API ys_tensor ys_tensor_grad(ys_tensor t);  // null with no error when there is no gradient
YS_API int ys_tensor_set_grad(ys_tensor t, ys_tensor grad);  // grad null clears it
YS_API int ys_tensor_set_data(ys_tensor t, ys_tensor src);   // t.set_data(src), as param.data = src
YS_API const char* ys_tensor_to_string(ys_tensor t);
YS_API int ys_backward(const ys_tensor* tensors, const ys_tensor* grads, int32_t n, int retain_graph,
                       int create_graph);

// Global state
YS_API int ys_grad_enabled();
YS_API void ys_set_grad_enabled(int enabled);
YS_API int ys_manual_seed(uint64_t seed);
YS_API void ys_set_num_threads(int32_t n);
YS_API int32_t ys_get_num_threads();
YS_API int ys_autocast_set(int32_t device_type, int enabled, int32_t dtype);  // returns previous enabled
YS_API int ys_autocast_enabled(int32_t device_type);
YS_API int32_t ys_autocast_dtype(int32_t device_type);  // the dtype autocast casts to on that device type
YS_API void ys_autocast_clear_cache();
YS_API void ys_autocast_increment_nesting();
YS_API int ys_autocast_decrement_nesting();

// Generators
YS_API ys_generator ys_generator_new(uint64_t seed, int32_t device_type, int32_t device_index);
YS_API void ys_generator_free(ys_generator g);
YS_API int ys_generator_manual_seed(ys_generator g, uint64_t seed);
YS_API uint64_t ys_generator_initial_seed(ys_generator g);

// CUDA
YS_API int ys_cuda_is_available();
YS_API int32_t ys_cuda_device_count();
YS_API int ys_cuda_synchronize(int32_t device);
YS_API int ys_cudnn_set_benchmark(int enabled);
YS_API int ys_cuda_memory(int32_t device, int64_t* allocated, int64_t* reserved, int64_t* max_allocated,
                          int64_t* total);
YS_API int ys_cuda_device_name(int32_t device, char* buf, int32_t buflen);
YS_API int ys_cuda_empty_cache();

// Detection ops
// Greedy NMS over boxes (N,4 xyxy) sorted internally by scores (N); returns kept indices (int64),
// by decreasing score, as torchvision.ops.nms.
YS_API ys_tensor ys_nms(ys_tensor boxes, ys_tensor scores, double iou_threshold);

// Image codecs (JPEG via libjpeg-turbo, PNG via libpng). Decoded to uint8 HWC RGB.
YS_API int ys_image_codecs_available();
YS_API ys_tensor ys_image_decode(const uint8_t* bytes, int64_t nbytes);
YS_API int ys_image_encode_png(ys_tensor hwc_rgb_u8, const char* path);
YS_API int ys_image_encode_jpeg(ys_tensor hwc_rgb_u8, const char* path, int32_t quality);
