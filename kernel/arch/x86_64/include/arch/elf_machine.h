#ifndef ARCH_ELF_MACHINE_H
#define ARCH_ELF_MACHINE_H

#include <kapsel/elf.h>

#define ARCH_ELF_MACHINE ELF_MACHINE_X86_64

#endif
