// Memory for the interval's big buffers.
//
// Every interval allocates buffers of megabytes (at 262144 pending entries:
// the sample's 12.6 MB, the rows' inputs 8.4 MB, the rows 14.7 MB, the
// queue rows 5 MB). The exporter gives them back after it, so that it holds
// none of it between intervals (docs/benchmarks.md, "Memory"). The price is
// faulting them in again every interval, 4 KiB at a time: under some
// hypervisors a fault costs ~10 us, 150 ms and more for the interval's
// ~20 000 pages.
//
// So the exporter prepares each one before filling it: huge pages (one
// fault for 512 small ones) on the whole 2 MiB blocks inside it, with THP
// in `madvise` mode (Debian's default) and only while the kernel has free
// 2 MiB blocks to spare (a fault in an advised range may otherwise make
// the kernel compact memory, and rcuwatch runs on machines that may be
// short of it); then the rest faulted in by one call. No byte more is
// resident: only what the buffer is about to hold is prepared.
#pragma once

#include <cstddef>
#include <string_view>

namespace rcuwatch {

// For a command that runs interval after interval for long (the exporter):
// buffers of 512 KiB and more are mapped for themselves and unmapped when
// freed. glibc's default raises its mmap threshold to the largest block
// freed, after which they come from the heap and leave holes it keeps
// resident: 67 MB of RSS where 48 MB were live at the peak.
void return_big_buffers_when_freed();

// For the commands a user runs for a while and watches (top, stat, record,
// report): the interval's big buffers stay in the heap, faulted in, from
// one interval to the next. glibc's default gives the heap's top back to
// the kernel once it passes twice the largest block freed, which an
// interval's buffers together do (at 262144 entries: 36 MB, the largest
// 15 MB): every interval then faulted them in again, 4 KiB at a time (in
// tracepoint mode, 31 to 88 ms an interval instead of 9 where a fault is
// dear). The price is holding the interval's peak between intervals.
void keep_big_buffers_between_intervals();

// Free blocks of at least `order` (counted in blocks of that order) in
// /proc/buddyinfo's text, over every node and zone; 0 for text it cannot
// read.
size_t free_blocks_of_order(std::string_view buddyinfo, unsigned order);

// Whether a buffer needing `blocks` huge pages may have them, given the free
// huge-page-sized blocks: twice its need and 32 blocks (64 MiB) left over.
bool huge_pages_to_spare(size_t blocks, size_t free_blocks);

// Advises huge pages for the 2 MiB blocks inside [data, data + bytes) when
// THP is in `madvise` mode and the kernel has blocks to spare; nothing
// otherwise (and for a buffer that holds no whole block). Call it before
// the range is written: pages already faulted stay small. Returns the bytes
// advised.
size_t advise_huge_pages(void* data, size_t bytes);

// Once return_big_buffers_when_freed() is in effect, before a buffer of 64
// KiB or more is filled, the whole of it and soon: huge pages where
// advise_huge_pages gives them, then every page of it faulted in by one
// call (MADV_POPULATE_WRITE, Linux 5.14) instead of one fault per 4 KiB
// page, which halves their cost where faults are dear. Call it only for
// bytes about to be written: populated pages are resident. Returns the
// bytes advised huge.
size_t prepare_for_filling(void* data, size_t bytes);

}  // namespace rcuwatch
