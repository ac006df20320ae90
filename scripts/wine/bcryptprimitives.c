/* ProcessPrng, the one export of Windows 10's bcryptprimitives.dll that Rust's standard library
 * imports (its random source since Rust 1.78). Wine 8 (Debian 12) has no bcryptprimitives.dll,
 * so scripts/test-targets.mjs builds this stand-in with mingw-w64 and puts it into the throwaway
 * wine prefix, and nowhere else: on Windows 10 and later the system's own DLL is used. It draws
 * from the same system RNG, through BCryptGenRandom. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) < 0) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
