#include "pci_problem.h"

#include <stdarg.h>
#include <stdio.h>

void pci_problem_report(struct pci_problems *problems, struct pci_address address, struct pci_function *fn,
                        enum pci_problem_kind kind, const char *format, ...)
{
    if (fn) {
        fn->problems++;
    }
    if (problems->count == PCI_MAX_PROBLEMS) {
        problems->dropped++;
        return;
    }
    struct pci_problem *problem = &problems->list[problems->count++];
    problem->address = address;
    problem->kind = kind;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(problem->message, sizeof(problem->message), format, arguments);
    va_end(arguments);
}

size_t pci_problems_count(const struct pci_problems *problems, struct pci_address address, enum pci_problem_kind kind)
{
    size_t count = 0;
    for (size_t i = 0; i < problems->count; i++) {
        const struct pci_problem *problem = &problems->list[i];
        if (problem->kind == kind && problem->address.bus == address.bus && problem->address.device == address.device &&
            problem->address.function == address.function) {
            count++;
        }
    }
    return count;
}
