// Fixture: an upward include that arch.layers must report.
#include "crypto/signer.h"
