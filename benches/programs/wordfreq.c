/*
 * wordfreq: an ACK C program for the cray emulator's speed benchmarks.
 * Makes a text of pseudo-random words, counts them in a chained hash table,
 * sorts the distinct words by count then spelling with a recursive quicksort,
 * sieves primes, and prints checksums. Integer, pointer and call heavy: the
 * kind of code C compilers produce, not a vector loop.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#define WORDS 6000
#define TABLE 1024
#define SIEVE 20000

struct entry {
    char word[12];
    int count;
    struct entry *next;
};

static struct entry pool[WORDS];
static struct entry *table[TABLE];
static struct entry *order[WORDS];
static int used;
static unsigned long seed = 12345;
static char sieve[SIEVE];

static unsigned long next_random(void)
{
    /* Products stay below 2^48: ACK multiplies integers in the floating units. */
    seed = (seed * 25173UL + 13849UL) & 0xffffUL;
    return seed >> 4;
}

/* A word of 1 to 4 letters from a small alphabet, so that words repeat. */
static void make_word(char *word)
{
    int length = 1 + (int)((next_random() & 3));
    int i;
    for (i = 0; i < length; i++)
        word[i] = "etaoinsh"[next_random() & 7];
    word[length] = '\0';
}

static unsigned hash(const char *word)
{
    unsigned h = 0;
    while (*word)
        h = h * 31 + (unsigned char)*word++;
    return h & (TABLE - 1);
}

static void count_word(const char *word)
{
    unsigned h = hash(word);
    struct entry *e;
    for (e = table[h]; e != NULL; e = e->next) {
        if (strcmp(e->word, word) == 0) {
            e->count++;
            return;
        }
    }
    e = &pool[used++];
    strcpy(e->word, word);
    e->count = 1;
    e->next = table[h];
    table[h] = e;
}

/* More frequent first, then alphabetical. */
static int before(const struct entry *a, const struct entry *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    return strcmp(a->word, b->word) < 0;
}

static void sort(struct entry **v, int lo, int hi)
{
    struct entry *pivot, *t;
    int i, j;
    if (lo >= hi)
        return;
    pivot = v[(lo + hi) >> 1];
    i = lo;
    j = hi;
    while (i <= j) {
        while (before(v[i], pivot))
            i++;
        while (before(pivot, v[j]))
            j--;
        if (i <= j) {
            t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
    }
    sort(v, lo, j);
    sort(v, i, hi);
}

static int primes(void)
{
    int i, j, n = 0;
    for (i = 2; i < SIEVE; i++)
        sieve[i] = 1;
    for (i = 2; i < SIEVE; i++) {
        if (!sieve[i])
            continue;
        n++;
        for (j = i + i; j < SIEVE; j += i)
            sieve[j] = 0;
    }
    return n;
}

int main(void)
{
    char word[8];
    int i, round;
    unsigned long check = 0;
    for (round = 0; round < 3; round++) {
        memset(table, 0, sizeof table);
        used = 0;
        for (i = 0; i < WORDS; i++) {
            make_word(word);
            count_word(word);
        }
        for (i = 0; i < used; i++)
            order[i] = &pool[i];
        sort(order, 0, used - 1);
        for (i = 0; i < used; i++)
            check = (check * 7 + (unsigned long)order[i]->count * (i + 1)) & 0xfffffUL;
        printf("round %d: %d distinct words, most frequent \"%s\" (%d)\n",
               round, used, order[0]->word, order[0]->count);
    }
    printf("checksum %lu\n", check);
    printf("%d primes below %d\n", primes(), SIEVE);
    return 0;
}
