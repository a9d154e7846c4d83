/* must_use.h — MUST_USE marks a function whose result says whether it did
 * its work: the compiler refuses a call that drops it (-Werror). */
#ifndef TVSHOWS_MUST_USE_H
#define TVSHOWS_MUST_USE_H

#define MUST_USE __attribute__((warn_unused_result))

#endif
