#include "auth/storage/backend_testing.h"

#include <stdlib.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace enlist::storage {

std::string MakeTestDir(absl::string_view label) {
  const char* root = getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(root != nullptr ? root : "/tmp", "/", label, ".XXXXXX");
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
    return tmpl;
  }
  return std::string(buf.data());
}

}  // namespace enlist::storage
