//! What a C library would give nsrun-init and `#![no_std]` does not: the process entry point
//! (`_start`), a memory allocator, the panic handler, and the memory functions the compiler
//! calls (memcpy, memmove, memset, memcmp, bcmp, strlen).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int};
use core::ptr::null_mut;

use crate::sys;

// The kernel starts a static executable with argc, argv and envp on the stack; `_start` hands
// that address to `start`, with the stack aligned as the C ABI wants.
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {start}",
    "ud2",
    start = sym start,
);
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov x29, xzr",
    "mov x30, xzr",
    "mov x0, sp",
    "and sp, x0, #-16",
    "bl {start}",
    "brk #0",
    start = sym start,
);

/// # Safety
/// Called once, by `_start`, with the initial stack pointer.
unsafe extern "C" fn start(sp: *const usize) -> ! {
    // SAFETY: the kernel's initial stack: argc, then argc argument pointers and a NULL.
    let (argc, argv) = unsafe { (*sp as c_int, sp.add(1) as *const *const c_char) };
    let code = crate::main(argc, argv);
    // SAFETY: exit_group never returns.
    unsafe { sys::_exit(code) }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    const MSG: &[u8] = b"nsrun-init: internal error (panic)\n";
    // SAFETY: write(2) of a static buffer, then exit_group.
    unsafe {
        sys::write(2, MSG.as_ptr().cast(), MSG.len());
        sys::_exit(crate::wire::SETUP_FAILED)
    }
}

// The precompiled `core`/`alloc` carry unwinding tables that name these; with panic=abort
// nothing ever unwinds, so neither is ever called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
#[no_mangle]
extern "C" fn _Unwind_Resume() -> ! {
    // SAFETY: exit_group never returns.
    unsafe { sys::_exit(crate::wire::SETUP_FAILED) }
}

/// Size classes 16, 32, ... 2048 bytes, each with a free list of returned blocks; new blocks
/// come from a bump pointer in 64 KiB chunks (touched only as they are handed out: a page
/// fault costs a launch microseconds). Anything larger is its own mapping, which the kernel
/// hands out zeroed. Blocks are aligned to their class size (chunks are page-aligned and the
/// bump pointer is rounded up), so an alignment up to 2048 is met by rounding the size up to
/// it. The init and the agent are single-threaded (a forked child has its own copy): no lock.
struct Alloc(UnsafeCell<Heap>);

struct Heap {
    free: [*mut u8; CLASSES],
    next: usize,
    end: usize,
}

const CLASSES: usize = 8;
const MIN: usize = 16;
const MAX_SMALL: usize = MIN << (CLASSES - 1);
const CHUNK: usize = 64 * 1024;

// SAFETY: nsrun-init and the agent never run a second thread.
unsafe impl Sync for Alloc {}

#[global_allocator]
static ALLOC: Alloc = Alloc(UnsafeCell::new(Heap {
    free: [null_mut(); CLASSES],
    next: 0,
    end: 0,
}));

fn class(l: &Layout) -> Option<usize> {
    let size = l.size().max(l.align()).max(MIN);
    (size <= MAX_SMALL)
        .then(|| (size.next_power_of_two().trailing_zeros() - MIN.trailing_zeros()) as usize)
}

fn pages(n: usize) -> usize {
    (n + 4095) & !4095
}

// SAFETY: blocks handed out are distinct, live until dealloc, of at least the layout's size
// and alignment; single-threaded (see above).
unsafe impl GlobalAlloc for Alloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let Some(c) = class(&l) else {
            if l.align() > 4096 {
                return null_mut();
            }
            // SAFETY: a fresh mapping (page-aligned).
            return unsafe { sys::map(pages(l.size())) };
        };
        // SAFETY: single-threaded access to the heap state.
        let h = unsafe { &mut *self.0.get() };
        let size = MIN << c;
        if !h.free[c].is_null() {
            let b = h.free[c];
            // SAFETY: a free block holds the next free block's address.
            h.free[c] = unsafe { *(b as *mut *mut u8) };
            return b;
        }
        let mut at = (h.next + size - 1) & !(size - 1);
        if h.next == 0 || at + size > h.end {
            // SAFETY: a new chunk; the rest of the old one is left unused.
            let chunk = unsafe { sys::map(CHUNK) };
            if chunk.is_null() {
                return null_mut();
            }
            at = chunk as usize;
            h.end = at + CHUNK;
        }
        h.next = at + size;
        at as *mut u8
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // SAFETY: as alloc.
        let p = unsafe { self.alloc(l) };
        if !p.is_null() && class(&l).is_some() {
            // SAFETY: the block has at least l.size() bytes. (A large block is a fresh
            // mapping, zero already: writing it would only fault its pages in.)
            unsafe { memset(p, 0, l.size()) };
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        match class(&l) {
            // SAFETY: the caller returns a block this allocator gave out with this layout.
            None => unsafe { sys::unmap(p, pages(l.size())) },
            Some(c) => {
                // SAFETY: as above; the block joins its class's free list.
                unsafe {
                    let h = &mut *self.0.get();
                    *(p as *mut *mut u8) = h.free[c];
                    h.free[c] = p;
                }
            }
        }
    }
}

// The memory functions. Written so the compiler cannot turn them back into calls to
// themselves: string instructions on x86_64, volatile byte loops elsewhere.

/// # Safety
/// As C's memcpy.
#[no_mangle]
pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller gives n valid, non-overlapping bytes at s and d.
    unsafe {
        core::arch::asm!("rep movsb", inout("rcx") n => _, inout("rdi") d => _,
            inout("rsi") s => _, options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..n {
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i))) };
    }
    d
}

/// # Safety
/// As C's memmove.
#[no_mangle]
pub unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    if (d as usize).wrapping_sub(s as usize) >= n {
        // Forward copy is safe: d is below s, or past its end.
        // SAFETY: as the caller's.
        return unsafe { memcpy(d, s, n) };
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: the caller gives n valid bytes at s and d.
        unsafe { core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i))) };
    }
    d
}

/// # Safety
/// As C's memset.
#[no_mangle]
pub unsafe extern "C" fn memset(d: *mut u8, c: c_int, n: usize) -> *mut u8 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller gives n valid bytes at d.
    unsafe {
        core::arch::asm!("rep stosb", inout("rcx") n => _, inout("rdi") d => _,
            in("al") c as u8, options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..n {
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(d.add(i), c as u8) };
    }
    d
}

/// # Safety
/// As C's memcmp.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    for i in 0..n {
        // SAFETY: the caller gives n valid bytes at a and b.
        let (x, y) = unsafe {
            (
                core::ptr::read_volatile(a.add(i)),
                core::ptr::read_volatile(b.add(i)),
            )
        };
        if x != y {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

/// # Safety
/// As C's bcmp.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    // SAFETY: as the caller's.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// As C's strlen.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const c_char) -> usize {
    let mut n = 0;
    // SAFETY: the caller gives a NUL-terminated string.
    while unsafe { core::ptr::read_volatile(s.add(n)) } != 0 {
        n += 1;
    }
    n
}
