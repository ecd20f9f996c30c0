/* A fixed pool of threads taking hosts from a shared counter. */
#include "fleet_runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct fleet_work {
    size_t host_count;
    fleet_task_fn task;
    void *shared;
    atomic_size_t next;
};

static void *work(void *context)
{
    struct fleet_work *fleet_work = context;
    for (;;) {
        size_t host = atomic_fetch_add(&fleet_work->next, 1);
        if (host >= fleet_work->host_count) {
            return NULL;
        }
        fleet_work->task(fleet_work->shared, host);
    }
}

void fleet_run(size_t host_count, fleet_task_fn task, void *shared)
{
    struct fleet_work fleet_work = {.host_count = host_count, .task = task, .shared = shared};
    atomic_init(&fleet_work.next, 0);
    /* The calling thread is one of the workers: it starts the others, then works too. */
    pthread_t helpers[FLEET_MAX_THREADS - 1];
    bool started[FLEET_MAX_THREADS - 1] = {false};
    size_t helper_count = 0;
    while (helper_count + 1 < host_count && helper_count < FLEET_MAX_THREADS - 1) {
        started[helper_count] = pthread_create(&helpers[helper_count], NULL, work, &fleet_work) == 0;
        helper_count++;
    }
    work(&fleet_work); /* does it all if no helper started */
    for (size_t i = 0; i < helper_count; i++) {
        if (started[i]) {
            pthread_join(helpers[i], NULL);
        }
    }
}
