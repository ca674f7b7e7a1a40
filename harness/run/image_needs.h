// What a scenario's guest image needs, gathered from its transport and its storage use (plus,
// for a run, its workload), put into an image request: one place for `wedge run` and `wedge
// image build --transport` to turn storage::ImageNeeds into image::ImageRequest fields.
//
//   storage::ImageNeeds needs = storage_image_needs(scenario, *transport);
//   apply_image_needs(needs, request);
#pragma once

#include "harness/config/scenario.h"
#include "harness/storage/transport.h"
#include "vm-images/image.h"

namespace wedge::run {

// The transport's needs and those of what the storage is used for (mkfs tools, ...).
[[nodiscard]] storage::ImageNeeds storage_image_needs(const config::Scenario& scenario,
                                                      const storage::Transport& transport);

// Sets request's tools, lean tools, modules (the drivers' names), files and packages from needs.
void apply_image_needs(const storage::ImageNeeds& needs, image::ImageRequest& request);

}  // namespace wedge::run
