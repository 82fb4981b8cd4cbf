// Image codecs for the data loader: JPEG through libjpeg-turbo, PNG through libpng's simplified API.
// Images come out as uint8 (H, W, 3) RGB tensors.
#include "shim.h"
#include "shim_internal.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#ifdef YS_HAVE_IMAGE_CODECS
#include <png.h>
#include <turbojpeg.h>

namespace {

at::Tensor decode_jpeg(const uint8_t* bytes, int64_t n) {
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  TORCH_CHECK(tj, "libjpeg-turbo: cannot create a decompressor");
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), bytes, static_cast<unsigned long>(n), &w, &h, &subsamp, &colorspace) != 0)
    TORCH_CHECK(false, "corrupt JPEG: ", tjGetErrorStr2(tj.get()));
  auto out = torch::empty({h, w, 3}, torch::kUInt8);
  if (tjDecompress2(tj.get(), bytes, static_cast<unsigned long>(n), out.data_ptr<uint8_t>(), w, 0, h, TJPF_RGB,
                    TJFLAG_ACCURATEDCT) != 0 &&
      tjGetErrorCode(tj.get()) == TJERR_FATAL)
    TORCH_CHECK(false, "corrupt JPEG: ", tjGetErrorStr2(tj.get()));
  return out;
}

at::Tensor decode_png(const uint8_t* bytes, int64_t n) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes, static_cast<size_t>(n)))
    TORCH_CHECK(false, "corrupt PNG: ", img.message);
  img.format = PNG_FORMAT_RGB;
  auto out = torch::empty({static_cast<int64_t>(img.height), static_cast<int64_t>(img.width), 3}, torch::kUInt8);
  if (!png_image_finish_read(&img, nullptr, out.data_ptr<uint8_t>(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    TORCH_CHECK(false, "corrupt PNG: ", msg);
  }
  return out;
}

at::Tensor checked_rgb(ys_tensor h) {
  auto t = YS_T(h).to(torch::kCPU).contiguous();
  TORCH_CHECK(t.scalar_type() == torch::kUInt8 && t.dim() == 3 && t.size(2) == 3,
              "image encode: expected a uint8 (H, W, 3) tensor, got ", t.scalar_type(), " ", t.sizes());
  return t;
}

}  // namespace

YS_API int ys_image_codecs_available() { return 1; }

YS_API ys_tensor ys_image_decode(const uint8_t* bytes, int64_t n) {
  YS_TRY {
    TORCH_CHECK(n >= 8, "not an image: only ", n, " bytes");
    if (bytes[0] == 0xFF && bytes[1] == 0xD8) return new at::Tensor(decode_jpeg(bytes, n));
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (std::memcmp(bytes, png_magic, 8) == 0) return new at::Tensor(decode_png(bytes, n));
    TORCH_CHECK(false, "unsupported image format (only JPEG and PNG are read)");
  }
  YS_CATCH(nullptr)
}

YS_API int ys_image_encode_png(ys_tensor h, const char* path) {
  YS_TRY {
    auto t = checked_rgb(h);
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(t.size(1));
    img.height = static_cast<png_uint_32>(t.size(0));
    img.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&img, path, 0, t.data_ptr<uint8_t>(), 0, nullptr))
      TORCH_CHECK(false, "cannot write PNG ", path, ": ", img.message);
    return 0;
  }
  YS_CATCH(1)
}

YS_API int ys_image_encode_jpeg(ys_tensor h, const char* path, int32_t quality) {
  YS_TRY {
    auto t = checked_rgb(h);
    std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
    TORCH_CHECK(tj, "libjpeg-turbo: cannot create a compressor");
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    if (tjCompress2(tj.get(), t.data_ptr<uint8_t>(), static_cast<int>(t.size(1)), 0, static_cast<int>(t.size(0)),
                    TJPF_RGB, &buf, &size, TJSAMP_420, quality, 0) != 0)
      TORCH_CHECK(false, "JPEG encode failed: ", tjGetErrorStr2(tj.get()));
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(buf, tjFree);
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path, "wb"), std::fclose);
    TORCH_CHECK(f, "cannot write ", path);
    TORCH_CHECK(std::fwrite(buf, 1, size, f.get()) == size, "short write to ", path);
    return 0;
  }
  YS_CATCH(1)
}

#else

YS_API int ys_image_codecs_available() { return 0; }
YS_API ys_tensor ys_image_decode(const uint8_t*, int64_t) {
  ys::set_error("this build of libys_torch has no image codecs (install libturbojpeg0-dev and libpng-dev)");
  return nullptr;
}
YS_API int ys_image_encode_png(ys_tensor, const char*) {
  ys::set_error("this build of libys_torch has no image codecs");
  return 1;
}
YS_API int ys_image_encode_jpeg(ys_tensor, const char*, int32_t) {
  ys::set_error("this build of libys_torch has no image codecs");
  return 1;
}

#endif
