/*
 * wordfreq: reads text from standard input and prints how many lines, words and
 * characters it holds, then every distinct word (folded to lower case) with its
 * count, most frequent first (ties in alphabetical order), and a histogram of word
 * lengths.
 *
 * What it exercises on COS: stdin read line by line through the C library (the
 * terminal, $IN, when unmapped), malloc, qsort with a comparison function, the
 * <ctype.h> tables and printf's field widths.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 500
#define MAX_WORD 32
#define MAX_LINE 256

struct word {
    char text[MAX_WORD];
    int count;
};

static struct word *words;
static int distinct;
static int by_length[MAX_WORD + 1];

/* Counts one more of `text`, adding it when it is new. */
static void tally(const char *text)
{
    int i;

    for (i = 0; i < distinct; i++) {
        if (strcmp(words[i].text, text) == 0) {
            words[i].count++;
            return;
        }
    }
    if (distinct < MAX_WORDS) {
        strcpy(words[distinct].text, text);
        words[distinct].count = 1;
        distinct++;
    }
}

/* Most frequent first; equal counts in alphabetical order. */
static int by_count(const void *a, const void *b)
{
    const struct word *x = a;
    const struct word *y = b;

    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->text, y->text);
}

/* Splits `line` into words of letters and digits; returns how many it held. */
static int split(const char *line)
{
    char word[MAX_WORD];
    int length = 0, found = 0;

    for (;; line++) {
        if (isalnum((unsigned char)*line)) {
            if (length < MAX_WORD - 1)
                word[length++] = tolower((unsigned char)*line);
            continue;
        }
        if (length > 0) {
            word[length] = '\0';
            tally(word);
            by_length[length]++;
            found++;
            length = 0;
        }
        if (*line == '\0')
            return found;
    }
}

int main(void)
{
    char line[MAX_LINE];
    int lines = 0, total = 0, chars = 0, i, j;

    words = malloc(MAX_WORDS * sizeof *words);
    if (words == NULL) {
        fprintf(stderr, "wordfreq: out of memory\n");
        return 1;
    }
    while (fgets(line, sizeof line, stdin) != NULL) {
        lines++;
        chars += strlen(line);
        total += split(line);
    }
    printf("%d lines, %d words, %d characters, %d distinct words\n",
           lines, total, chars, distinct);
    qsort(words, distinct, sizeof *words, by_count);
    for (i = 0; i < distinct; i++)
        printf("%5d %s\n", words[i].count, words[i].text);
    printf("word lengths:\n");
    for (i = 1; i <= MAX_WORD; i++) {
        if (by_length[i] == 0)
            continue;
        printf("%3d %4d ", i, by_length[i]);
        for (j = 0; j < by_length[i]; j++)
            putchar('*');
        putchar('\n');
    }
    free(words);
    return 0;
}
