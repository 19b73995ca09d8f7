#include "nnmpi/eval.h"

#include <string.h>

#include "nnmpi/error.h"

#define EVAL_BATCH 500

int eval_run(const net_t *net, const imageset_t *set, eval_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (imageset_image_size(set) != net->n_in)
        return error_set("the images have %lld pixels, the network expects %d inputs",
                         (long long)imageset_image_size(set), net->n_in);
    if (net->n_out != 10)
        return error_set("evaluation needs 10 outputs, the network has %d", net->n_out);
    net_work_t work;
    if (net_work_init(&work, net, EVAL_BATCH) < 0)
        return -1;
    for (int64_t start = 0; start < set->count; start += EVAL_BATCH) {
        int B = (int)(set->count - start < EVAL_BATCH ? set->count - start : EVAL_BATCH);
        net_scale_input(imageset_image(set, start), work.x, (size_t)B * net->n_in);
        net_forward(net, &work, B);
        for (int b = 0; b < B; b++) {
            const float *o = work.o + (size_t)b * net->n_out;
            int label = set->labels[start + b], guess = net_argmax(o, net->n_out);
            res->confusion[label][guess]++;
            res->correct += guess == label;
            res->loss_sum += net_sample_loss(net, o, label);
        }
        res->count += B;
    }
    net_work_free(&work);
    return 0;
}

void eval_print_confusion(FILE *out, const eval_result_t *res)
{
    fprintf(out, "confusion matrix (rows: true digit, columns: predicted)\n");
    fprintf(out, "true |");
    for (int p = 0; p < 10; p++)
        fprintf(out, " %6d", p);
    fprintf(out, " | recall\n-----+");
    for (int p = 0; p < 10; p++)
        fprintf(out, "-------");
    fprintf(out, "-+-------\n");
    for (int t = 0; t < 10; t++) {
        int64_t row = 0;
        fprintf(out, "%4d |", t);
        for (int p = 0; p < 10; p++) {
            fprintf(out, " %6lld", (long long)res->confusion[t][p]);
            row += res->confusion[t][p];
        }
        fprintf(out, " | %5.1f%%\n", row ? 100.0 * res->confusion[t][t] / row : 0.0);
    }
}
