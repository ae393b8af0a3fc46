#include "dicom/tag.h"

#include <cstdio>

namespace bastion::dicom {

std::string Tag::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", group, element);
  return buf;
}

std::string Tag::ToHex() const {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%04X%04X", group, element);
  return buf;
}

}  // namespace bastion::dicom
