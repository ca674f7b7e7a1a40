// Implementation of image_needs.h.
#include "harness/run/image_needs.h"

#include "harness/storage/guest_use.h"
#include "harness/storage/transport_registry.h"

namespace wedge::run {

storage::ImageNeeds storage_image_needs(const config::Scenario& scenario,
                                        const storage::Transport& transport) {
  storage::ImageNeeds needs = transport.image_needs();
  needs.add(storage::use_image_needs(
      scenario.storage, storage::transport_entry(scenario.storage.transport).file_transport));
  return needs;
}

void apply_image_needs(const storage::ImageNeeds& needs, image::ImageRequest& request) {
  request.tools = needs.tools;
  request.lean_tools = needs.lean_tools;
  request.extra_modules = storage::module_names(needs.drivers);
  request.files = needs.files;
  request.packages = needs.packages;
}

}  // namespace wedge::run
