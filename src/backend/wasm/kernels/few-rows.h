// The few-rows product over (N, K) weight rows (matmul.c), shared with the weight-only int8
// product (quantized.c), which runs it on weight rows it has just expanded to float.
#pragma once
#include "common.h"

/** C (M × n) (=|+=) A (M × K, rows lda apart) · Wᵀ, W (N × K, rows ldw apart), columns [j0, j1) of C (rows ldc apart). */
void few_rows_nk(const float *A, int lda, const float *W, int ldw, float *C, int ldc, int M, int K, int j0, int j1, int accumulate);
