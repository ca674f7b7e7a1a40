// Why libvirt re-probes QEMU's capabilities on a host: its two views of KVM. The capability
// probe runs QEMU as the QEMU user with CAP_DAC_OVERRIDE (libvirt grants it for /dev/sev), so it
// records KVM whenever QEMU can initialise KVM, whatever /dev/kvm's mode; every later call checks
// access(2) on /dev/kvm as that user without the capability (virQEMUCapsIsValid). When the two
// disagree every call re-probes (two QEMU launches, seconds each) and every guest start waits.
//
//   KvmViews views{.probe_recorded_kvm = *cache_records_kvm(kSystemCapabilityCache),
//                  .qemu_user_may_open_kvm = qemu_user_may_open_kvm()};
//   if (auto why = explain_kvm_views(views)) print(why->problem, why->fix);
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "harness/util/result.h"

namespace wedge::vm {

struct KvmViews {
  bool probe_recorded_kvm = false;      // a cached capability file holds <flag name='kvm'/>
  bool qemu_user_may_open_kvm = false;  // access(2) as libvirt-qemu, its groups included
};

struct KvmViewsDisagreement {
  std::string problem;  // what libvirt sees, in its own log's words
  std::string fix;      // the command that makes the views agree
};

// Empty when the views agree (the cache can hold), else the problem and its fix.
[[nodiscard]] std::optional<KvmViewsDisagreement> explain_kvm_views(const KvmViews& views);

// Whether any capability file in cache_dir recorded KVM. An error when none can be read.
[[nodiscard]] Result<bool> cache_records_kvm(const std::filesystem::path& cache_dir);

// Whether libvirt-qemu may open /dev/kvm for reading and writing, with its supplementary groups
// (as libvirt checks it): runs `runuser -u libvirt-qemu -- test -r /dev/kvm -a -w /dev/kvm`.
[[nodiscard]] Result<bool> qemu_user_may_open_kvm();

}  // namespace wedge::vm
