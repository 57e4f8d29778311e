// mp::aio::default_executor (mp/aio/executor.hpp); the bridges are templates.
#include "mp/aio/executor.hpp"

namespace mp::aio {

mp::ThreadPoolExecutor& default_executor() {
  // Never destroyed: a thread still busy with a to_thread() call at exit must
  // not make exit wait for it (and no static destruction order to get wrong).
  static auto* const executor = new mp::ThreadPoolExecutor();  // NOLINT(cppcoreguidelines-owning-memory)
  return *executor;
}

}  // namespace mp::aio
