// Instruments the runtime for /metrics (c.metrics; nothing when null): database transaction
// latency by operation (hpki_db_transaction_seconds), group-commit batch sizes, fallbacks and
// queue depth. Sets the store's and the batcher's observers: call once, before serving.
#pragma once

#include "api/context.h"

namespace hpki::api {

void add_runtime_metrics(ApiContext& ctx);

}  // namespace hpki::api
