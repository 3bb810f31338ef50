/* Offers datagrams at a steady rate: udp_flood HOST PORT RATE COUNT SIZE.
 * Paces in 1 ms slices; prints "sent N in MS ms". Used by bench.ts as the load, since one
 * Deno sender cannot offer 200k datagrams/s on this machine. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp_flood host port rate count size\n");
    return 1;
  }
  struct addrinfo hints = {0}, *ai;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) return 1;
  int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) return 2;
  double rate = atof(argv[3]);
  long count = atol(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  char *buf = malloc(size ? size : 1);
  memset(buf, 'x', size);
  double start = now_ms();
  long sent = 0;
  while (sent < count) {
    long due = (long)((now_ms() - start) * rate / 1000.0) + 1;
    if (due > count) due = count;
    while (sent < due) {
      if (send(fd, buf, size, 0) >= 0) sent++;
    }
    if (sent < count) usleep(200);
  }
  printf("sent %ld in %.1f ms\n", sent, now_ms() - start);
  return 0;
}
