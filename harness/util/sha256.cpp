// Implementation of sha256.h.
#include "harness/util/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "harness/util/files.h"

namespace wedge {

namespace {

// One digest in progress; EVP_MD_CTX freed on every path.
class Sha256 {
 public:
  [[nodiscard]] Status init() {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      return make_error("SHA-256 in libcrypto failed to start");
    }
    return ok_status();
  }
  [[nodiscard]] Status update(std::string_view bytes) {
    if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
      return make_error("SHA-256 in libcrypto failed");
    }
    return ok_status();
  }
  [[nodiscard]] Result<std::string> hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) {
      return make_error("SHA-256 in libcrypto failed to finish");
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
      out += kDigits[digest[i] >> 4];
      out += kDigits[digest[i] & 0xf];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

}  // namespace

Result<std::string> sha256_hex(std::string_view bytes) {
  Sha256 sha;
  WEDGE_CHECK(sha.init());
  WEDGE_CHECK(sha.update(bytes));
  return sha.hex();
}

Result<std::string> sha256_file(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(fmt::format("open {}", file.string()), errno);
  Sha256 sha;
  WEDGE_CHECK(sha.init());
  auto buf = std::make_unique<char[]>(1 << 16);
  while (true) {
    ssize_t n = ::read(fd.get(), buf.get(), 1 << 16);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read {}", file.string()), errno);
    }
    if (n == 0) break;
    WEDGE_CHECK(sha.update(std::string_view(buf.get(), static_cast<size_t>(n))));
  }
  return sha.hex();
}

}  // namespace wedge
