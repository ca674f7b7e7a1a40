// The injector of kind = "server-slow-after": sets the relay's slow-answer fields while the
// fault lasts (the relay counts the server's answers, relay.h AnswerTurns).
#include "harness/faults/injector_family.h"

namespace wedge::faults {

InjectorResult make_server_slow_after_injector(const config::FaultConfig& fault,
                                               const InjectorTargets& targets) {
  std::chrono::milliseconds delay(fault.int_param("delay_ms"));
  auto after = static_cast<uint64_t>(fault.int_param("after_requests"));
  return make_relay_toggle(fault, targets, [delay, after](storage::RelayFaults& f, bool on) {
    f.slow_answer_delay = on ? delay : std::chrono::milliseconds(0);
    f.slow_after_answers = on ? after : 0;
  });
}

}  // namespace wedge::faults
