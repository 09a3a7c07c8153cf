/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>

#include "core/time_util.h"
#include "fake_systemd.h"
#include "testutil.h"

/* Generous: under valgrind (CI traces children) dbus-daemon starts slowly. */
#define START_TIMEOUT_MS 60000

/* ---- the private bus ---- */

struct fake_bus {
	pid_t pid;
	char *address;
};

static const char bus_config[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>igd-regroup-test</type>\n"
	"  <listen>unix:path=%s/bus</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow user=\"*\"/>\n"
	"    <allow own=\"*\"/>\n"
	"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
	"    <allow receive_sender=\"*\"/>\n"
	"  </policy>\n"
	"</busconfig>\n";

/* One line from fd within timeout_ms; NULL on EOF or timeout. */
static char *read_line_fd(int fd, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	char *buf = NULL;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		char c;
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		n = read(fd, &c, 1);
		if (n <= 0)
			break;
		if (c == '\n')
			return buf ? buf : strdup("");
		buf = realloc(buf, len + 2);
		ck_assert_ptr_nonnull(buf);
		buf[len++] = c;
		buf[len] = '\0';
	}
	free(buf);
	return NULL;
}

struct fake_bus *fake_bus_start(const char *dir)
{
	_cleanup_(freep) char *conf = NULL, *conf_path = tu_path(dir, "bus.conf");
	_cleanup_(freep) char *arg = NULL, *log_path = tu_path(dir, "dbus-daemon.log");
	struct fake_bus *b = calloc(1, sizeof(*b));
	int out[2];

	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(asprintf(&conf, bus_config, dir), 0);
	tu_write_file(dir, "bus.conf", conf);
	ck_assert_int_ge(asprintf(&arg, "--config-file=%s", conf_path), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	b->pid = fork();
	ck_assert_int_ge(b->pid, 0);
	if (b->pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		/* never outlive the test, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* its complaints (running as root, it cannot raise the fd limit in a container) go to a file */
		if (log < 0 || dup2(out[1], STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
			_exit(126);
		execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", "--print-address",
		       (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	b->address = read_line_fd(out[0], START_TIMEOUT_MS);
	close(out[0]);
	if (!b->address || !*b->address) {
		_cleanup_(freep) char *log = tu_read_file(log_path);

		fake_bus_stop(b);
		ck_abort_msg("dbus-daemon did not start (is the dbus-daemon package installed?): %s",
			     log ? log : "");
	}
	ck_assert_int_eq(setenv("DBUS_SYSTEM_BUS_ADDRESS", b->address, 1), 0);
	return b;
}

void fake_bus_stop(struct fake_bus *b)
{
	if (!b)
		return;
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
	}
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	free(b->address);
	free(b);
}

const char *fake_bus_address(const struct fake_bus *b)
{
	return b->address;
}

/* ---- the fake systemd ---- */

struct fake_job {
	uint32_t id;
	char *path;
	const struct fake_unit *unit;
	char *method;
	uint64_t due_ms;
	bool exists;  /* its object answers */
	bool pending; /* its JobRemoved is still to be sent */
};

/* A Properties.Get on a job, to be answered at due_ms. */
struct fake_probe {
	sd_bus_message *m;
	uint64_t due_ms;
};

struct fake_systemd {
	pthread_t thread;
	int stop[2], ready[2];
	char *address;
	struct fake_unit *units;
	size_t n_units;
	fake_job_fn fn;
	void *userdata;

	pthread_mutex_t lock; /* guards calls and n_probes */
	char *calls;
	size_t calls_len;
	unsigned n_probes;

	/* the thread's own */
	sd_bus *bus;
	struct fake_job *jobs;
	size_t n_jobs;
	struct fake_probe *probes; /* the late answers */
	size_t n_late;
};

static const struct fake_unit *find_unit(const struct fake_systemd *f, const char *name)
{
	for (size_t i = 0; i < f->n_units; i++)
		if (strcmp(f->units[i].name, name) == 0)
			return &f->units[i];
	return NULL;
}

static void record_call(struct fake_systemd *f, const char *method, const char *unit, const char *mode)
{
	char *line = NULL;
	int n = asprintf(&line, "%s %s %s\n", method, unit, mode);

	if (n < 0)
		return;
	pthread_mutex_lock(&f->lock);
	char *nb = realloc(f->calls, f->calls_len + (size_t)n + 1);
	if (nb) {
		f->calls = nb;
		memcpy(f->calls + f->calls_len, line, (size_t)n + 1);
		f->calls_len += (size_t)n;
	}
	pthread_mutex_unlock(&f->lock);
	free(line);
}

static int method_job(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	const char *name, *mode, *member = sd_bus_message_get_member(m);
	const struct fake_unit *u;
	struct fake_job *nj, *j;
	int r;

	r = sd_bus_message_read(m, "ss", &name, &mode);
	if (r < 0)
		return r;
	record_call(f, member, name, mode);
	u = find_unit(f, name);
	if (!u)
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
					 name);
	nj = reallocarray(f->jobs, f->n_jobs + 1, sizeof(*nj));
	if (!nj)
		return -ENOMEM;
	f->jobs = nj;
	j = &f->jobs[f->n_jobs];
	*j = (struct fake_job){
		.id = (uint32_t)f->n_jobs + 1,
		.unit = u,
		.method = strdup(member),
		.due_ms = now_ms() + u->delay_ms,
		.exists = u->result || !u->vanish,
		.pending = u->result != NULL,
	};
	if (!j->method || asprintf(&j->path, "/org/freedesktop/systemd1/job/%u", j->id) < 0) {
		free(j->method);
		return -ENOMEM;
	}
	f->n_jobs++;
	r = sd_bus_reply_method_return(m, "o", j->path);
	if (r < 0)
		return r;
	/* a vanishing job has done its work by the time anyone asks */
	if (!j->exists && f->fn)
		f->fn(f->userdata, j->method, u->name);
	return 1;
}

static int job_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		    sd_bus_error *error)
{
	struct fake_systemd *f = userdata;

	for (size_t i = 0; i < f->n_jobs; i++)
		if (f->jobs[i].exists && strcmp(f->jobs[i].path, path) == 0) {
			*found = &f->jobs[i];
			return 1;
		}
	return 0;
}

static int job_prop(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const struct fake_job *j = userdata;

	if (strcmp(prop, "Id") == 0)
		return sd_bus_message_append(reply, "u", j->id);
	return sd_bus_message_append(reply, "s", "running");
}

static struct fake_job *job_by_path(struct fake_systemd *f, const char *path)
{
	for (size_t i = 0; path && i < f->n_jobs; i++)
		if (strcmp(f->jobs[i].path, path) == 0)
			return &f->jobs[i];
	return NULL;
}

/* Answers a job's Properties.Get with what is true now. */
static void probe_answer(struct fake_systemd *f, sd_bus_message *m)
{
	const struct fake_job *j = job_by_path(f, sd_bus_message_get_path(m));

	if (j && j->exists)
		(void)sd_bus_reply_method_return(m, "v", "s", "running");
	else
		(void)sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.",
						 sd_bus_message_get_path(m));
}

/*
 * A filter, run on every incoming message before the objects see it: counts
 * the Properties.Get on jobs, takes those of the jobs whose unit answers
 * late or with an error, and leaves everything else to the vtables (which
 * answer a job that no longer exists with UnknownObject, as systemd does).
 */
static int job_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	const struct fake_job *j;
	struct fake_probe *np;

	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
		return 0;
	j = job_by_path(f, sd_bus_message_get_path(m));
	if (!j)
		return 0;
	pthread_mutex_lock(&f->lock);
	f->n_probes++;
	pthread_mutex_unlock(&f->lock);
	if (j->unit->probe_error)
		return sd_bus_reply_method_errorf(m, j->unit->probe_error, "The fake is busy.");
	if (!j->unit->probe_delay_ms)
		return 0;
	np = reallocarray(f->probes, f->n_late + 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	f->probes = np;
	f->probes[f->n_late++] = (struct fake_probe){
		.m = sd_bus_message_ref(m),
		.due_ms = now_ms() + j->unit->probe_delay_ms,
	};
	return 1;
}

static int unit_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		     sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	_cleanup_(freep) char *name = NULL;
	const struct fake_unit *u;

	if (sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &name) <= 0)
		return 0;
	u = find_unit(f, name);
	if (!u)
		return 0;
	*found = (void *)u;
	return 1;
}

static int unit_prop(sd_bus *bus, const char *path, const char *iface, const char *prop,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const struct fake_unit *u = userdata;

	if (strcmp(prop, "Id") == 0)
		return sd_bus_message_append(reply, "s", u->name);
	return sd_bus_message_append(reply, "s", u->active_state ? u->active_state : "active");
}

static int method_get_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	_cleanup_(freep) char *path = NULL;
	const char *name;
	int r;

	r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	if (!find_unit(f, name))
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
	r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &path);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, "o", path);
}

static int method_unit_file_state(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	const struct fake_unit *u;
	const char *name;
	int r;

	r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	u = find_unit(f, name);
	if (!u)
		return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.FileNotFound", "No such file or directory");
	return sd_bus_reply_method_return(m, "s", u->file_state ? u->file_state : "static");
}

static bool strv_match(char **v, const char *s, bool glob)
{
	if (!v || !v[0])
		return true; /* an empty list matches everything, as systemd has it */
	for (; *v; v++)
		if (glob ? fnmatch(*v, s, 0) == 0 : strcmp(*v, s) == 0)
			return true;
	return false;
}

static void strv_freep(char ***v)
{
	for (char **p = *v; p && *p; p++)
		free(*p);
	free(*v);
}

/* ListUnitsByPatterns(as states, as patterns) -> a(ssssssouso), the fake's units that match both. */
static int method_list_units(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake_systemd *f = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(strv_freep) char **states = NULL, **patterns = NULL;
	int r;

	r = sd_bus_message_read_strv(m, &states);
	if (r >= 0)
		r = sd_bus_message_read_strv(m, &patterns);
	if (r >= 0)
		r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
	for (size_t i = 0; r >= 0 && i < f->n_units; i++) {
		const struct fake_unit *u = &f->units[i];
		const char *state = u->active_state ? u->active_state : "active";
		_cleanup_(freep) char *path = NULL;

		if (!strv_match(states, state, false) || !strv_match(patterns, u->name, true))
			continue;
		r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", u->name, &path);
		if (r >= 0)
			r = sd_bus_message_append(reply, "(ssssssouso)", u->name, "", "loaded", state, "running", "",
						  path, 0u, "", "/");
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int service_prop(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const struct fake_unit *u = userdata;

	if (strcmp(prop, "ExecMainStatus") == 0)
		return sd_bus_message_append(reply, "i", u->exec_main_status);
	return sd_bus_message_append(reply, "s", u->service_result ? u->service_result : "success");
}

static const sd_bus_vtable service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Result", "s", service_prop, 0, 0),
	SD_BUS_PROPERTY("ExecMainStatus", "i", service_prop, 0, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetUnit", "s", "o", method_get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("GetUnitFileState", "s", "s", method_unit_file_state, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("ListUnitsByPatterns", "asas", "a(ssssssouso)", method_list_units,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("StartUnit", "ss", "o", method_job, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("RestartUnit", "ss", "o", method_job, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("ReloadOrRestartUnit", "ss", "o", method_job, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable job_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "u", job_prop, 0, 0),
	SD_BUS_PROPERTY("State", "s", job_prop, 0, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", unit_prop, 0, 0),
	SD_BUS_PROPERTY("ActiveState", "s", unit_prop, 0, 0),
	SD_BUS_VTABLE_END,
};

static int fake_setup(struct fake_systemd *f)
{
	int r;

	r = sd_bus_new(&f->bus);
	if (r >= 0)
		r = sd_bus_set_address(f->bus, f->address);
	if (r >= 0)
		r = sd_bus_set_bus_client(f->bus, 1);
	if (r >= 0)
		r = sd_bus_start(f->bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(f->bus, NULL, "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager", manager_vtable, f);
	if (r >= 0)
		r = sd_bus_add_filter(f->bus, NULL, job_intercept, f);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(f->bus, NULL, "/org/freedesktop/systemd1/job",
					       "org.freedesktop.systemd1.Job", job_vtable, job_find, f);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(f->bus, NULL, "/org/freedesktop/systemd1/unit",
					       "org.freedesktop.systemd1.Unit", unit_vtable, unit_find, f);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(f->bus, NULL, "/org/freedesktop/systemd1/unit",
					       "org.freedesktop.systemd1.Service", service_vtable, unit_find, f);
	if (r >= 0)
		r = sd_bus_request_name(f->bus, "org.freedesktop.systemd1", 0);
	return r;
}

/* Sends the JobRemoved signals and the late answers that are due; returns ms until the next one, or -1. */
static int emit_due(struct fake_systemd *f)
{
	uint64_t now = now_ms();
	int next = -1;

	for (size_t i = 0; i < f->n_late; i++) {
		struct fake_probe *p = &f->probes[i];

		if (!p->m)
			continue;
		if (p->due_ms > now) {
			int wait = (int)(p->due_ms - now);
			next = next < 0 || wait < next ? wait : next;
			continue;
		}
		probe_answer(f, p->m);
		p->m = sd_bus_message_unref(p->m);
	}

	for (size_t i = 0; i < f->n_jobs; i++) {
		struct fake_job *j = &f->jobs[i];

		if (!j->pending)
			continue;
		if (j->due_ms > now) {
			int wait = (int)(j->due_ms - now);
			next = next < 0 || wait < next ? wait : next;
			continue;
		}
		if (f->fn)
			f->fn(f->userdata, j->method, j->unit->name);
		j->pending = false;
		j->exists = false;
		(void)sd_bus_emit_signal(f->bus, "/org/freedesktop/systemd1",
					 "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", j->id,
					 j->path, j->unit->name, j->unit->result);
	}
	return next;
}

static void *fake_main(void *p)
{
	struct fake_systemd *f = p;
	int r = fake_setup(f);

	(void)!write(f->ready[1], &r, sizeof(r));
	if (r < 0)
		return NULL;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = sd_bus_get_fd(f->bus), .events = (short)sd_bus_get_events(f->bus) },
			{ .fd = f->stop[0], .events = POLLIN },
		};
		int timeout;

		r = sd_bus_process(f->bus, NULL);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		timeout = emit_due(f);
		fds[0].events = (short)sd_bus_get_events(f->bus); /* POLLOUT once a signal is queued */
		r = poll(fds, 2, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
	}
	return NULL;
}

struct fake_systemd *fake_systemd_start(const char *address, const struct fake_unit *units, size_t n,
					fake_job_fn fn, void *userdata)
{
	struct fake_systemd *f = calloc(1, sizeof(*f));
	struct pollfd p;
	int r = -ETIMEDOUT;

	ck_assert_ptr_nonnull(f);
	f->address = strdup(address);
	f->units = calloc(n ? n : 1, sizeof(*units));
	ck_assert(f->address && f->units);
	if (n)
		memcpy(f->units, units, n * sizeof(*units));
	f->n_units = n;
	f->fn = fn;
	f->userdata = userdata;
	pthread_mutex_init(&f->lock, NULL);
	ck_assert_int_eq(pipe2(f->stop, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(f->ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);

	p = (struct pollfd){ .fd = f->ready[0], .events = POLLIN };
	if (poll(&p, 1, START_TIMEOUT_MS) == 1 && read(f->ready[0], &r, sizeof(r)) != sizeof(r))
		r = -EIO;
	if (r < 0) {
		fake_systemd_stop(f);
		ck_abort_msg("the fake systemd did not start: %s", strerror(-r));
	}
	return f;
}

void fake_systemd_stop(struct fake_systemd *f)
{
	if (!f)
		return;
	(void)!write(f->stop[1], "x", 1);
	pthread_join(f->thread, NULL);
	for (size_t i = 0; i < f->n_late; i++)
		sd_bus_message_unref(f->probes[i].m);
	free(f->probes);
	sd_bus_flush_close_unref(f->bus);
	for (size_t i = 0; i < f->n_jobs; i++) {
		free(f->jobs[i].path);
		free(f->jobs[i].method);
	}
	free(f->jobs);
	close(f->stop[0]);
	close(f->stop[1]);
	close(f->ready[0]);
	close(f->ready[1]);
	pthread_mutex_destroy(&f->lock);
	free(f->calls);
	free(f->units);
	free(f->address);
	free(f);
}

char *fake_systemd_calls(struct fake_systemd *f)
{
	char *s;

	pthread_mutex_lock(&f->lock);
	s = strdup(f->calls ? f->calls : "");
	pthread_mutex_unlock(&f->lock);
	ck_assert_ptr_nonnull(s);
	return s;
}

unsigned fake_systemd_probes(struct fake_systemd *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->n_probes;
	pthread_mutex_unlock(&f->lock);
	return n;
}
