/* Stand-in for Windows' bcryptprimitives.dll, which Wine 8.0 lacks.
 *
 * Rust's standard library (1.78+) imports ProcessPrng from it to seed
 * HashMap and friends; without the DLL every Windows test binary fails to
 * start under Wine. The real function fills the buffer from the system
 * RNG and always succeeds; SystemFunction036 (RtlGenRandom, advapi32) is
 * the same RNG under an older name and Wine implements it.
 *
 * Used only by .ci/cross to run the Windows test suites under Wine; never
 * shipped. Build: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll
 * bcryptprimitives.c bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
