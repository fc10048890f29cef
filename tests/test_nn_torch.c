/* test_nn_torch.c — GoResNet in C against the PyTorch reference (tests/nn/goresnet_ref.py).
 *
 *   test_nn_torch OUTDIR   reads OUTDIR/torch_state.bin and OUTDIR/py_model.safetensors (written
 *                          by `goresnet_ref.py gen OUTDIR`), writes OUTDIR/c_model.safetensors
 *                          (+ .optim) and OUTDIR/c_outputs.bin for `goresnet_ref.py check OUTDIR`.
 *
 * For sp, mup and depth-mup: training-mode outputs and loss within 1e-4 relative, every gradient
 * within 1e-3 relative (max |diff| / max |ref| per tensor), BN running statistics and eval-mode
 * outputs within 1e-4, and 10-step loss trajectories of SGD (Nesterov, L2, clipping), AdamW
 * (warm-up + cosine) and AdamW with 2 accumulated micro-batches within 1e-3 relative. A PyTorch
 * checkpoint loads here with the same eval outputs (1e-6). Prints max differences; exits 1 on a
 * mismatch (llm.c's test_gpt2 done right).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

/* ------------------------------------------------------------------ debug-state reader --- */

typedef struct {
  char name[128];
  int ndim;
  int shape[4];
  size_t numel;
  float *data;
} rec_t;

static rec_t *recs;
static int nrecs;

static int read_state(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return 0;
  }
  char magic[8];
  unsigned hdr[2];
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "RKNNDBG\0", 8) || fread(hdr, 4, 2, f) != 2 || hdr[0] != 1) {
    fprintf(stderr, "%s: bad magic or version\n", path);
    fclose(f);
    return 0;
  }
  nrecs = (int)hdr[1];
  recs = calloc((size_t)nrecs, sizeof *recs);
  for (int i = 0; i < nrecs; i++) {
    unsigned ln, nd;
    if (fread(&ln, 4, 1, f) != 1 || ln >= sizeof recs[i].name || fread(recs[i].name, 1, ln, f) != ln ||
        fread(&nd, 4, 1, f) != 1 || nd > 4) {
      fprintf(stderr, "%s: bad record %d\n", path, i);
      fclose(f);
      return 0;
    }
    recs[i].ndim = (int)nd;
    recs[i].numel = 1;
    for (unsigned d = 0; d < nd; d++) {
      unsigned s;
      if (fread(&s, 4, 1, f) != 1) return 0;
      recs[i].shape[d] = (int)s;
      recs[i].numel *= s;
    }
    recs[i].data = malloc(sizeof(float) * (recs[i].numel ? recs[i].numel : 1));
    if (fread(recs[i].data, sizeof(float), recs[i].numel, f) != recs[i].numel) {
      fprintf(stderr, "%s: truncated record %s\n", path, recs[i].name);
      fclose(f);
      return 0;
    }
  }
  fclose(f);
  return 1;
}

static const rec_t *rec(const char *fmt, const char *a, const char *b) {
  char name[160];
  snprintf(name, sizeof name, fmt, a, b);
  for (int i = 0; i < nrecs; i++)
    if (!strcmp(recs[i].name, name)) return &recs[i];
  fprintf(stderr, "missing record %s\n", name);
  exit(1);
}

/* ---------------------------------------------------------------------------- checking --- */

static int allok = 1;

static double rel_maxdiff(const float *a, const float *b, size_t n) {
  double md = 0.0, mb = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    md = d > md ? d : md;
    mb = fabs(b[i]) > mb ? fabs(b[i]) : mb;
  }
  return mb > 0 ? md / mb : md;
}

static double check(const char *what, const float *a, const float *b, size_t n, double tol, int verbose) {
  double r = rel_maxdiff(a, b, n);
  int ok = r <= tol;
  if (!ok) allok = 0;
  if (verbose || !ok) printf("  %-40s rel maxdiff %.3e (tol %.0e) %s\n", what, r, tol, ok ? "ok" : "MISMATCH");
  return r;
}

static goresnet_t *model_from(const char *P, const char *kind) {
  const rec_t *c = rec("%s/config", P, "");
  goresnet_config_t gc = goresnet_config_default();
  gc.size = (int)c->data[0];
  gc.planes = (int)c->data[1];
  gc.channels = (int)c->data[2];
  gc.blocks = (int)c->data[3];
  gc.base_channels = (int)c->data[4];
  gc.base_blocks = (int)c->data[5];
  gc.depth_alpha = c->data[6];
  gc.depth_a = c->data[7];
  rocks_error_t err;
  if (nn_param_from_name(P, &gc.param, &err) != ROCKS_OK) exit(1);
  goresnet_t *m = goresnet_new(&gc, &err);
  if (!m) {
    fprintf(stderr, "goresnet_new: %s\n", err.msg);
    exit(1);
  }
  for (int i = 0; i < m->ntensors; i++) {
    const rec_t *r = rec("%s/param/%s", P, m->tensors[i].name);
    if (r->numel != m->tensors[i].numel) {
      fprintf(stderr, "%s: size mismatch\n", m->tensors[i].name);
      exit(1);
    }
    memcpy(goresnet_tensor_data(m, i), r->data, sizeof(float) * r->numel);
  }
  (void)kind;
  return m;
}

/* 10 steps of run RUN on the shared batch; compares the losses. Returns the trained model. */
static goresnet_t *check_run(const char *P, const char *run, nn_optim_t **opt_out) {
  const float *hp = rec("%s/%s/hparams", P, run)->data;
  const float *want = rec("%s/%s/losses", P, run)->data;
  const rec_t *x = rec("inputs", "", ""), *pt = rec("policy_target", "", ""), *vt = rec("value_target", "", "");
  goresnet_t *m = model_from(P, run);
  nn_optim_config_t oc = nn_optim_config_default(strcmp(run, "sgd") ? NN_OPT_ADAMW : NN_OPT_SGD);
  oc.momentum = hp[1];
  oc.nesterov = hp[2] != 0.0f;
  oc.weight_decay = hp[3];
  oc.beta1 = hp[4];
  oc.beta2 = hp[5];
  oc.eps = hp[6];
  oc.clip_norm = hp[7];
  nn_sched_t s = {NN_SCHED_COSINE, hp[0], (long)hp[8], (long)hp[9], hp[10], 0, 1.0f};
  if (hp[9] == 0.0f) s.kind = NN_SCHED_CONSTANT;
  int micro = (int)hp[11], B = x->shape[0], HW = m->config.size * m->config.size;
  size_t in_per = (size_t)m->config.planes * HW;
  rocks_error_t err;
  nn_optim_t *o = nn_optim_new(m, &oc, &err);
  float got[10];
  for (int step = 0; step < 10; step++) {
    goresnet_zero_grad(m);
    double total = 0.0;
    for (int j = 0; j < micro; j++) {
      int b0 = j * B / micro, b1 = (j + 1) * B / micro;
      if (goresnet_forward(m, x->data + (size_t)b0 * in_per, b1 - b0, 1, &err) != ROCKS_OK) exit(1);
      total += goresnet_loss(m, pt->data + (size_t)b0 * (HW + 1), vt->data + b0) / micro;
      if (goresnet_backward(m, 1.0f / (float)micro, &err) != ROCKS_OK) exit(1);
    }
    got[step] = (float)total;
    nn_optim_step(o, m, nn_sched_lr(&s, step));
  }
  char what[64];
  snprintf(what, sizeof what, "%s %s 10-step losses", P, run);
  double r = check(what, got, want, 10, 1e-3, 1);
  printf("      C   %.6f %.6f ... %.6f\n      ref %.6f %.6f ... %.6f\n", got[0], got[1], got[9], want[0], want[1], want[9]);
  (void)r;
  if (opt_out) *opt_out = o;
  else nn_optim_delete(o);
  return m;
}

static void write_outputs(const char *path, const goresnet_t *m) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    allok = 0;
    return;
  }
  unsigned hdr[2] = {1, 2};
  fwrite("RKNNDBG\0", 1, 8, f);
  fwrite(hdr, 4, 2, f);
  int B = m->batch, V = m->config.size * m->config.size + 1;
  const char *names[2] = {"eval_logits", "eval_value"};
  const float *data[2] = {m->acts.policy_logits, m->acts.value};
  unsigned shapes[2][2] = {{(unsigned)B, (unsigned)V}, {(unsigned)B, 0}};
  for (int i = 0; i < 2; i++) {
    unsigned ln = (unsigned)strlen(names[i]), nd = i == 0 ? 2 : 1;
    fwrite(&ln, 4, 1, f);
    fwrite(names[i], 1, ln, f);
    fwrite(&nd, 4, 1, f);
    fwrite(shapes[i], 4, nd, f);
    fwrite(data[i], sizeof(float), (size_t)B * (i == 0 ? (size_t)V : 1), f);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_nn_torch OUTDIR\n");
    return 2;
  }
  const char *dir = argv[1];
  char path[4096];
  snprintf(path, sizeof path, "%s/torch_state.bin", dir);
  if (!read_state(path)) return 1;
  nn_set_threads(2);
  const rec_t *x = rec("inputs", "", ""), *pt = rec("policy_target", "", ""), *vt = rec("value_target", "", "");
  int B = x->shape[0];
  rocks_error_t err;
  const char *params[3] = {"sp", "mup", "depth-mup"};
  for (int pi = 0; pi < 3; pi++) {
    const char *P = params[pi];
    printf("%s:\n", P);
    goresnet_t *m = model_from(P, "");
    int V = m->config.size * m->config.size + 1;
    if (goresnet_forward(m, x->data, B, 1, &err) != ROCKS_OK) return 1;
    float loss = goresnet_loss(m, pt->data, vt->data);
    goresnet_zero_grad(m);
    if (goresnet_backward(m, 1.0f, &err) != ROCKS_OK) return 1;
    check("policy logits (train)", m->acts.policy_logits, rec("%s/policy_logits", P, "")->data, (size_t)B * V, 1e-4, 1);
    check("value (train)", m->acts.value, rec("%s/value", P, "")->data, (size_t)B, 1e-4, 1);
    float losses[3] = {loss, m->loss_policy, m->loss_value};
    check("loss, policy loss, value loss", losses, rec("%s/loss", P, "")->data, 3, 1e-4, 1);
    double worst = 0.0, worst_run = 0.0;
    const char *worst_name = "", *worst_run_name = "";
    for (int i = 0; i < m->ntensors; i++) {
      const nn_tensor_t *t = &m->tensors[i];
      if (t->trainable) {
        double r = check(t->name, m->grads_memory + t->offset, rec("%s/grad/%s", P, t->name)->data, t->numel, 1e-3, 0);
        if (r >= worst) {
          worst = r;
          worst_name = t->name;
        }
      } else {
        double r = check(t->name, goresnet_tensor_data(m, i), rec("%s/running/%s", P, t->name)->data, t->numel, 1e-4, 0);
        if (r >= worst_run) {
          worst_run = r;
          worst_run_name = t->name;
        }
      }
    }
    printf("  %-40s rel maxdiff %.3e (tol 1e-03), worst %s\n", "every gradient", worst, worst_name);
    printf("  %-40s rel maxdiff %.3e (tol 1e-04), worst %s\n", "BN running statistics", worst_run, worst_run_name);
    if (goresnet_forward(m, x->data, B, 0, &err) != ROCKS_OK) return 1;
    check("policy logits (eval)", m->acts.policy_logits, rec("%s/eval_logits", P, "")->data, (size_t)B * V, 1e-4, 1);
    check("value (eval)", m->acts.value, rec("%s/eval_value", P, "")->data, (size_t)B, 1e-4, 1);
    goresnet_delete(m);

    const char *runs[3] = {"sgd", "adamw", "adamw_accum2"};
    for (int r = 0; r < 3; r++) {
      nn_optim_t *o = NULL;
      m = check_run(P, runs[r], &o);
      if (pi == 0 && r == 1) {
        // C -> PyTorch: save this trained model (non-trivial running stats) with its AdamW state
        snprintf(path, sizeof path, "%s/c_model.safetensors", dir);
        nn_meta_kv_t meta[1] = {{"trained_by", "test_nn_torch"}};
        if (nn_checkpoint_save(path, m, o, meta, 1, &err) != ROCKS_OK) {
          printf("  save %s: %s\n", path, err.msg);
          allok = 0;
        }
        if (goresnet_forward(m, x->data, B, 0, &err) != ROCKS_OK) return 1;
        snprintf(path, sizeof path, "%s/c_outputs.bin", dir);
        write_outputs(path, m);
      }
      nn_optim_delete(o);
      goresnet_delete(m);
    }
  }

  // PyTorch -> C: the reference's checkpoint gives the same eval outputs here
  snprintf(path, sizeof path, "%s/py_model.safetensors", dir);
  goresnet_t *m = nn_checkpoint_load_new(path, &err);
  if (!m) {
    printf("load %s: %s\n", path, err.msg);
    return 1;
  }
  if (goresnet_forward(m, x->data, B, 0, &err) != ROCKS_OK) return 1;
  int V = m->config.size * m->config.size + 1;
  printf("PyTorch checkpoint -> C:\n");
  check("policy logits (eval)", m->acts.policy_logits, rec("py_ckpt/eval_logits", "", "")->data, (size_t)B * V, 1e-6, 1);
  check("value (eval)", m->acts.value, rec("py_ckpt/eval_value", "", "")->data, (size_t)B, 1e-6, 1);
  goresnet_delete(m);

  for (int i = 0; i < nrecs; i++) free(recs[i].data);
  free(recs);
  printf("test_nn_torch: %s\n", allok ? "all ok" : "MISMATCH");
  return allok ? 0 : 1;
}
