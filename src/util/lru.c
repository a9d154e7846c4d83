#include "util/lru.h"

void lru_push_newest(lru_list *l, lru_node *n)
{
    n->older = l->newest;
    n->newer = NULL;
    if (l->newest)
        l->newest->newer = n;
    else
        l->oldest = n;
    l->newest = n;
}

void lru_unlink(lru_list *l, lru_node *n)
{
    if (n->newer)
        n->newer->older = n->older;
    else
        l->newest = n->older;
    if (n->older)
        n->older->newer = n->newer;
    else
        l->oldest = n->newer;
    n->newer = n->older = NULL;
}

void lru_touch(lru_list *l, lru_node *n)
{
    if (l->newest == n)
        return;
    lru_unlink(l, n);
    lru_push_newest(l, n);
}
