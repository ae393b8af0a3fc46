// SOP classes and transfer syntaxes by service, derived from the PS3.6 UID registry
// (generated/uid_registry_data.inc), so that a newly published storage class is accepted by
// refreshing the registry rather than by editing a list.
// Thread-safety: immutable static data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bastion::dicom {

// Every Storage SOP class of PS3.4 Annex B (retired ones included: archives receive old
// modalities' images): SOP classes whose registry name says "Storage", without the Storage
// Commitment classes and the Media Storage Directory class (PS3.10 DICOMDIR, never sent over
// C-STORE).
const std::vector<std::string>& StorageSopClasses();
bool IsStorageSopClass(std::string_view uid);

// Every registered transfer syntax, the four native ones first (explicit little endian,
// implicit little endian, deflated, explicit big endian), then the encapsulated ones in
// registry order: the order of preference when accepting an instance to store as received.
const std::vector<std::string>& AllTransferSyntaxes();

}  // namespace bastion::dicom
