// Fixture: a direct OpenSSL include outside src/ossl/.
#include <openssl/evp.h>
