// SPDX-License-Identifier: GPL-2.0
/* wedge_crash: a test module that makes the guest kernel fail on demand, so wedge's detectors
 * and console parser are tested against real kernel reports. Load it only inside a guest. */

#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

/*
 * Usage, in a guest:
 *   insmod wedge_crash.ko
 *   echo oops > /proc/wedge_crash          # NULL dereference in wedge_crash_oops
 *   echo "softlock 30" > /proc/wedge_crash # spin 30 s with preemption off (0 or none: forever)
 *   echo hardlock > /proc/wedge_crash      # spin with interrupts off (seconds as for softlock)
 *   echo mutex-sleep > /proc/wedge_crash   # block forever on a mutex a sleeping kthread holds
 *   echo bug > /proc/wedge_crash           # BUG() in wedge_crash_bug
 *   echo warn > /proc/wedge_crash          # WARN_ON(1) in wedge_crash_warn
 *   echo rcu-spin > /proc/wedge_crash      # (2+ CPUs) a kthread spins with preemption off on
 *                                          # another CPU in wedge_crash_spinning, forever; the
 *                                          # writer then waits in synchronize_rcu (hung_task
 *                                          # names the waiter first, RCU's stall the spinner)
 *   insmod wedge_crash.ko mutex_twice=1    # at load, a kthread takes one mutex twice and
 *                                          # blocks for good in wedge_crash_lock_twice
 * Each function a failure happens in is noinline, so it is the frame the kernel's report blames.
 */

#define WEDGE_CRASH_PROC "wedge_crash"

/* Read through a volatile pointer so the compiler cannot prove the NULL and turn the store into
 * a trap instruction: the kernel must take a real page fault. */
static int *volatile wedge_crash_null;

static bool mutex_twice;
module_param(mutex_twice, bool, 0444);
MODULE_PARM_DESC(mutex_twice, "at load, start a kthread that takes the same mutex twice");

static DEFINE_MUTEX(wedge_crash_mutex);
static DEFINE_MUTEX(wedge_crash_twice_mutex);
static DECLARE_COMPLETION(wedge_crash_mutex_taken);
static struct task_struct *wedge_crash_holder;

static noinline void wedge_crash_oops(void)
{
	pr_info("wedge_crash: oops: writing through a NULL pointer\n");
	*wedge_crash_null = 1;
}

static noinline void wedge_crash_bug(void)
{
	pr_info("wedge_crash: bug: calling BUG()\n");
	BUG();
}

static noinline void wedge_crash_warn(void)
{
	pr_info("wedge_crash: warn: WARN_ON(1)\n");
	WARN_ON(1);
}

/* Busy-waits with preemption disabled but interrupts on: the timer tick keeps jiffies moving
 * and the soft-lockup watchdog's hrtimer fires, but its per-CPU thread never runs. */
static noinline void wedge_crash_softlock(unsigned int seconds)
{
	unsigned long end = jiffies + seconds * HZ;

	pr_info("wedge_crash: softlock: spinning with preemption off for %u s (0: forever)\n",
		seconds);
	preempt_disable();
	while (seconds == 0 || time_before(jiffies, end))
		cpu_relax();
	preempt_enable();
	pr_info("wedge_crash: softlock: done\n");
}

/* Busy-waits with interrupts off: jiffies stop, so time is counted in TSC cycles. Only an NMI
 * (perf-based hard-lockup watchdog) can report this from inside the guest. */
static noinline void wedge_crash_hardlock(unsigned int seconds)
{
	unsigned long flags;
	u64 start, cycles = (u64)seconds * tsc_khz * 1000;

	pr_info("wedge_crash: hardlock: spinning with interrupts off for %u s (0: forever)\n",
		seconds);
	local_irq_save(flags);
	start = rdtsc();
	while (seconds == 0 || rdtsc() - start < cycles)
		cpu_relax();
	local_irq_restore(flags);
	pr_info("wedge_crash: hardlock: done\n");
}

/* The kthread that takes the mutex and then sleeps uninterruptibly until the module goes. */
static int wedge_crash_mutex_holder(void *unused)
{
	mutex_lock(&wedge_crash_mutex);
	complete(&wedge_crash_mutex_taken);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	mutex_unlock(&wedge_crash_mutex);
	return 0;
}

/* The writer blocks here, in D state, for as long as the holder sleeps: hung_task names it. */
static noinline void wedge_crash_mutex_wait(void)
{
	pr_info("wedge_crash: mutex-sleep: waiting for a mutex held by a sleeping kthread\n");
	mutex_lock(&wedge_crash_mutex);
	mutex_unlock(&wedge_crash_mutex);
	pr_info("wedge_crash: mutex-sleep: got the mutex\n");
}

static int wedge_crash_mutex_sleep(void)
{
	struct task_struct *t;

	if (wedge_crash_holder)
		return -EBUSY;
	t = kthread_run(wedge_crash_mutex_holder, NULL, "wedge_crash_holder");
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	wedge_crash_holder = t;
	wait_for_completion(&wedge_crash_mutex_taken);
	wedge_crash_mutex_wait();
	return 0;
}

/* A self-deadlock: the second mutex_lock waits for the first, in D state, forever. */
static noinline void wedge_crash_lock_twice(void)
{
	pr_info("wedge_crash: mutex-twice: taking the same mutex twice\n");
	mutex_lock(&wedge_crash_twice_mutex);
	mutex_lock(&wedge_crash_twice_mutex);
	mutex_unlock(&wedge_crash_twice_mutex);
	mutex_unlock(&wedge_crash_twice_mutex);
}

static int wedge_crash_twice_thread(void *unused)
{
	wedge_crash_lock_twice();
	return 0;
}

/* The kthread's function spins with preemption off, forever: no RCU grace period can end
 * while it runs. The loop is here, not in a helper, so the kthread's function is the one the
 * RIP, the RCU stall and the soft lockup all name. */
static noinline int wedge_crash_spinning(void *unused)
{
	pr_info("wedge_crash: rcu-spin: spinning with preemption off on CPU %d\n",
		raw_smp_processor_id());
	preempt_disable();
	for (;;)
		cpu_relax();
	return 0;
}

/* Starts the spinner on a CPU other than the writer's, then waits for a grace period that
 * cannot end: the waiter is what hung_task sees first, the spinner is the cause. */
static int wedge_crash_rcu_spin(void)
{
	struct task_struct *t;
	unsigned int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());

	if (cpu >= nr_cpu_ids)
		return -EINVAL; /* one CPU: the spinner would starve the writer too */
	t = kthread_create(wedge_crash_spinning, NULL, "wedge_crash_spin");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	/* The kthread never leaves this module's code: the module must never unload. */
	__module_get(THIS_MODULE);
	wake_up_process(t);
	msleep(100);
	pr_info("wedge_crash: rcu-spin: waiting for an RCU grace period\n");
	synchronize_rcu();
	pr_info("wedge_crash: rcu-spin: grace period ended\n");
	return 0;
}

static ssize_t wedge_crash_write(struct file *file, const char __user *ubuf, size_t count,
				 loff_t *pos)
{
	char buf[32];
	char *word, *arg;
	unsigned int seconds = 0;
	int err = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	arg = strim(buf);
	word = strsep(&arg, " \t");
	if (arg && kstrtouint(skip_spaces(arg), 10, &seconds))
		return -EINVAL;

	if (!strcmp(word, "oops"))
		wedge_crash_oops();
	else if (!strcmp(word, "bug"))
		wedge_crash_bug();
	else if (!strcmp(word, "warn"))
		wedge_crash_warn();
	else if (!strcmp(word, "softlock"))
		wedge_crash_softlock(seconds);
	else if (!strcmp(word, "hardlock"))
		wedge_crash_hardlock(seconds);
	else if (!strcmp(word, "mutex-sleep"))
		err = wedge_crash_mutex_sleep();
	else if (!strcmp(word, "rcu-spin"))
		err = wedge_crash_rcu_spin();
	else
		err = -EINVAL;
	return err ? err : count;
}

static const struct proc_ops wedge_crash_proc_ops = {
	.proc_write = wedge_crash_write,
	.proc_lseek = noop_llseek,
};

static int __init wedge_crash_init(void)
{
	if (!proc_create(WEDGE_CRASH_PROC, 0200, NULL, &wedge_crash_proc_ops))
		return -ENOMEM;
	if (mutex_twice) {
		struct task_struct *t = kthread_run(wedge_crash_twice_thread, NULL,
						    "wedge_crash_twice");

		if (IS_ERR(t)) {
			remove_proc_entry(WEDGE_CRASH_PROC, NULL);
			return PTR_ERR(t);
		}
		/* The kthread never leaves this module's code: the module must never unload. */
		__module_get(THIS_MODULE);
	}
	pr_info("wedge_crash: ready: write oops|bug|warn|softlock|hardlock|mutex-sleep|rcu-spin to /proc/%s\n",
		WEDGE_CRASH_PROC);
	return 0;
}

static void __exit wedge_crash_exit(void)
{
	/* Waking the holder releases the mutex, so a blocked writer finishes and the proc entry
	 * can drain before it is removed. */
	if (wedge_crash_holder) {
		kthread_stop(wedge_crash_holder);
		put_task_struct(wedge_crash_holder);
	}
	remove_proc_entry(WEDGE_CRASH_PROC, NULL);
}

module_init(wedge_crash_init);
module_exit(wedge_crash_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("wedge test module: oops, BUG, WARN, soft/hard lockup and hung task on demand");
