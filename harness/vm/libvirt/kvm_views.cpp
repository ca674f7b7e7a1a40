// Implementation of kvm_views.h.
#include "harness/vm/libvirt/kvm_views.h"

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::vm {

namespace fs = std::filesystem;

std::optional<KvmViewsDisagreement> explain_kvm_views(const KvmViews& views) {
  if (views.probe_recorded_kvm == views.qemu_user_may_open_kvm) return std::nullopt;
  if (views.probe_recorded_kvm) {
    return KvmViewsDisagreement{
        "libvirt's probe initialised KVM (it runs QEMU with CAP_DAC_OVERRIDE) but libvirt-qemu "
        "may not open /dev/kvm: 'KVM was enabled when probing, but it is not available now' on "
        "every call",
        "setfacl -m u:libvirt-qemu:rw- /dev/kvm (ci/setup.sh does this); whether KVM boots a "
        "guest stays the KVM probe's question"};
  }
  return KvmViewsDisagreement{
      "libvirt-qemu may open /dev/kvm but libvirt's probe found no KVM (QEMU cannot initialise "
      "it): 'KVM was not enabled when probing, but it should be usable now' on every call",
      "setfacl -m u:libvirt-qemu:--- /dev/kvm (ci/setup.sh does this)"};
}

Result<bool> cache_records_kvm(const fs::path& cache_dir) {
  bool any_read = false;
  std::error_code ec;
  for (fs::directory_iterator it(cache_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".xml") continue;
    auto text = read_file(it->path());
    if (!text) continue;
    any_read = true;
    if (text->find("<flag name='kvm'/>") != std::string::npos) return true;
  }
  if (!any_read) {
    return make_error("no readable capability file in {}", cache_dir.string());
  }
  return false;
}

Result<bool> qemu_user_may_open_kvm() {
  if (std::error_code ec; !fs::exists("/dev/kvm", ec)) return false;
  WEDGE_TRY(CommandOutput out, run_command({"runuser", "-u", "libvirt-qemu", "--", "test", "-r",
                                            "/dev/kvm", "-a", "-w", "/dev/kvm"},
                                           std::chrono::seconds(10)));
  return out.status.success();
}

}  // namespace wedge::vm
