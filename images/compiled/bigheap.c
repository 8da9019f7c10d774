/*
 * bigheap: allocates a list of 1000-word blocks until it holds a megabyte or malloc
 * says no, then reads every word back. Run by itself (cray run) an ACK program keeps
 * its heap and stack in 040000 words, so malloc runs out after about 124 KiB; with
 * --mfl, or as a step of a deck job, its field holds the whole megabyte.
 */
#include <stdio.h>
#include <stdlib.h>

#define WORDS 1000
#define WANTED (1024L * 1024L)

struct block {
    struct block *next;
    long words[WORDS];
};

int main(void)
{
    struct block *list = NULL, *b;
    long bytes = 0, sum = 0, i, n = 0;

    while (bytes < WANTED) {
        b = malloc(sizeof *b);
        if (b == NULL) {
            printf("malloc failed after %ld bytes\n", bytes);
            return 1;
        }
        for (i = 0; i < WORDS; i++)
            b->words[i] = n * WORDS + i;
        b->next = list;
        list = b;
        bytes += sizeof *b;
        n++;
    }
    for (b = list; b != NULL; b = b->next)
        for (i = 0; i < WORDS; i++)
            sum += b->words[i] % 7;
    printf("%ld blocks, %ld bytes, checksum %ld\n", n, bytes, sum);
    return 0;
}
