// CRC-32C (Castagnoli), the checksum of recordings from format version 2
// (docs/recording-format.md). On x86-64 with SSE4.2 it runs on the crc32
// instruction, three independent streams at a time (the instruction's
// latency is three cycles, its throughput one per cycle), about 8 bytes per
// cycle; elsewhere a table-driven software version gives the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rcuwatch {

// The CRC-32C of `n` bytes at `data`, continuing from `crc` (the CRC of the
// bytes before them; 0 to start), like zlib's crc32().
uint32_t crc32c(uint32_t crc, const void* data, size_t n);

// The same, always in software (tests compare the two).
uint32_t crc32c_software(uint32_t crc, const void* data, size_t n);

// Whether crc32c() uses the CPU's crc32 instruction.
bool crc32c_hardware();

}  // namespace rcuwatch
