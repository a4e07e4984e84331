/* Symbol visibility of the Werk library.
 *
 * libwerk.so is built with hidden symbols: only what is marked WERK_API
 * (the documented C++ and C API) is exported. Valid C and C++. */
#ifndef WERK_EXPORT_H
#define WERK_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define WERK_API __attribute__((visibility("default")))
#else
#define WERK_API
#endif

#endif /* WERK_EXPORT_H */
