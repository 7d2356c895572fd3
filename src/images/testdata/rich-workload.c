/* Test workload for the image decoder: holds one of each kind of file CRIU records (threads, a
 * child process, pipes with unread data, a fifo, a socketpair, a listening TCP socket, a bound UDP
 * socket, a file at an offset, a deleted file, a file lock, eventfd, epoll, signalfd, timerfd,
 * memfd, a pty pair, an inotify watch, timers, a signal handler and a pending signal). With a
 * second argument "tcp" also an established TCP connection to itself with unread data both ways,
 * and System V shared memory, a semaphore set and a message queue (these need the job's own IPC
 * namespace). Further arguments: "ttydata" leaves unread data in both directions of the pty pair
 * (CRIU writes it to tty-data.img), "tun" opens a persistent tun device cryotun0 (needs its own
 * network namespace), "pidfd" holds a pidfd of the child, "morefds" adds a packet socket, a netlink
 * socket and a namespace file (for a job with its own netns), "fanotify" a fanotify group with a mark. Then prints "ready <port>" on stdout and
 * waits to be dumped. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void on_usr2(int sig) { (void)sig; }
static int has_arg(int argc, char **argv, const char *what) {
  for (int i = 2; i < argc; i++) if (strcmp(argv[i], what) == 0) return 1;
  return 0;
}
static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char path[4096];
  int p[2], sp[2];
  if (pipe(p) || write(p[1], "pipe data", 9) != 9) return 1;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || write(sp[0], "queued", 6) != 6) return 1;

  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  int one = 1;
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(tcp, (struct sockaddr *)&a, sizeof a) || listen(tcp, 8)) return 1;
  socklen_t len = sizeof a;
  getsockname(tcp, (struct sockaddr *)&a, &len);
  if (has_arg(argc, argv, "tcp")) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) return 1;
    int s = accept(tcp, NULL, NULL);
    if (s < 0 || write(c, "to server", 9) != 9 || write(s, "to client", 9) != 9) return 1;

    int shm = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    char *shmp = shmat(shm, NULL, 0);
    if (shm < 0 || shmp == (void *)-1) return 1;
    strcpy(shmp, "shared memory");
    int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    if (sem < 0 || semctl(sem, 1, SETVAL, 42)) return 1;
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct { long type; char text[16]; } msg = { 1, "first message" };
    if (q < 0 || msgsnd(q, &msg, 14, 0)) return 1;
    msg.type = 2;
    strcpy(msg.text, "second");
    if (msgsnd(q, &msg, 7, 0)) return 1;
  }
  int udp = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  if (bind(udp, (struct sockaddr *)&a6, sizeof a6)) return 1;

  snprintf(path, sizeof path, "%s/data.txt", dir);
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (write(f, "0123456789", 10) != 10 || lseek(f, 4, SEEK_SET) != 4) return 1;
  if (flock(f, LOCK_EX)) return 1;
  snprintf(path, sizeof path, "%s/deleted.txt", dir);
  int del = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (write(del, "ghost", 5) != 5 || unlink(path)) return 1;
  snprintf(path, sizeof path, "%s/fifo", dir);
  if (mkfifo(path, 0600)) return 1;
  int fifo = open(path, O_RDWR);

  int efd = eventfd(7, 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, 0);
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = { .it_interval = { 100, 0 }, .it_value = { 100, 0 } };
  timerfd_settime(tfd, 0, &its, NULL);
  int mfd = memfd_create("cryo-test", 0);
  if (write(mfd, "memfd", 5) != 5) return 1;
  int ptm = posix_openpt(O_RDWR | O_NOCTTY);
  if (ptm < 0 || grantpt(ptm) || unlockpt(ptm)) return 1;
  int pts = open(ptsname(ptm), O_RDWR | O_NOCTTY);
  if (has_arg(argc, argv, "ttydata") && (write(ptm, "to slave\n", 9) != 9 || write(pts, "to master", 9) != 9)) return 1;
  if (has_arg(argc, argv, "morefds")) {
    int pk = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
    int nsf = open("/proc/self/ns/uts", O_RDONLY);
    if (pk < 0 || nl < 0 || bind(nl, (struct sockaddr *)&snl, sizeof snl) || nsf < 0) { perror("morefds"); return 1; }
  }
  if (has_arg(argc, argv, "fanotify")) { /* needs CAP_SYS_ADMIN in the initial user namespace */
    int fan = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
    if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN | FAN_CLOSE_WRITE, AT_FDCWD, dir)) { perror("fanotify"); return 1; }
  }
  if (has_arg(argc, argv, "tun")) {
    int tun = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
    strcpy(ifr.ifr_name, "cryotun0");
    if (tun < 0 || ioctl(tun, TUNSETIFF, &ifr) || ioctl(tun, TUNSETPERSIST, 1)) return 1;
  }
  int ino = inotify_init1(0);
  inotify_add_watch(ino, dir, IN_CREATE | IN_DELETE);
  struct sigaction sa = { .sa_handler = on_usr2 };
  sigaction(SIGUSR2, &sa, NULL);
  struct itimerval itv = { .it_interval = { 500, 0 }, .it_value = { 500, 0 } };
  setitimer(ITIMER_REAL, &itv, NULL);
  timer_t ptimer;
  struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
  timer_create(CLOCK_MONOTONIC, &sev, &ptimer);
  struct itimerspec pits = { .it_interval = { 300, 0 }, .it_value = { 300, 0 } };
  timer_settime(ptimer, 0, &pits, NULL);
  kill(getpid(), SIGUSR1); /* blocked: stays pending in the dump */
  (void)fifo; (void)sfd; (void)pts; (void)ino;

  char *mem = malloc(8 << 20);
  memset(mem, 1, 8 << 20);
  pthread_t t;
  pthread_create(&t, NULL, idle, NULL);
  pid_t child = fork();
  if (child == 0) { for (;;) pause(); }
  if (has_arg(argc, argv, "pidfd") && syscall(SYS_pidfd_open, child, 0) < 0) return 1;

  printf("ready %d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) pause();
}
