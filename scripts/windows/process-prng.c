/* A stand-in for bcryptprimitives.dll, for running the Windows build's tests under Debian 12's
 * Wine 8.0, which has no bcryptprimitives.dll: Rust's std (since 1.78) imports ProcessPrng from
 * it, and every Rust exe would exit with status 53 at load without it. Later Wine versions ship
 * the DLL. It is installed into the test Wine prefix only; the exe the project ships is untouched.
 * ProcessPrng fills the buffer with random bytes and always succeeds on Windows; here it asks
 * advapi32's SystemFunction036 (RtlGenRandom) in chunks. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG) length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
