// Fixture: one front end including another (cli and api share a level, issue 17).
#include "api/routes.h"
