// Shared by the shim's sources: exception barrier and handle casts.
#pragma once
#include <c10/util/Exception.h>
#include <exception>

namespace ys {
void set_error(const char* msg);
void clear_error();
}  // namespace ys

#define YS_T(h) (*static_cast<at::Tensor*>(h))

// No C++ exception may cross the C ABI: report it through ys_last_error() and return `fail`.
#define YS_TRY try
#define YS_CATCH(fail)                                   \
  catch (const c10::Error& e) {                          \
    ys::set_error(e.what_without_backtrace());           \
    return fail;                                         \
  }                                                      \
  catch (const std::exception& e) {                      \
    ys::set_error(e.what());                             \
    return fail;                                         \
  }                                                      \
  catch (...) {                                          \
    ys::set_error("unknown C++ exception");              \
    return fail;                                         \
  }
