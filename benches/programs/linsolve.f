C     LINSOLVE: a LINPACK-like dense solve, written for the cray emulator's
C     speed benchmarks. Fills an N by N matrix from a linear congruential
C     generator, factors it by Gaussian elimination with partial pivoting
C     (column oriented: the inner loop is an AXPY down a column), solves
C     A x = b for b = A times a vector of ones, and prints the largest
C     error of x and the residual.
      PROGRAM LINSOL
      INTEGER LDA, N
      PARAMETER (LDA = 101, N = 100)
      DOUBLE PRECISION A(LDA, N), B(N), X(N), R(N)
      INTEGER IPVT(N), INFO, I, J
      DOUBLE PRECISION ERRMAX, RESMAX
      CALL MATGEN(A, LDA, N)
      DO 20 I = 1, N
         B(I) = 0.0D0
   20 CONTINUE
      DO 40 J = 1, N
         DO 30 I = 1, N
            B(I) = B(I) + A(I, J)
   30    CONTINUE
   40 CONTINUE
      DO 50 I = 1, N
         X(I) = B(I)
   50 CONTINUE
      CALL FACTOR(A, LDA, N, IPVT, INFO)
      IF (INFO .NE. 0) THEN
         PRINT *, 'SINGULAR AT COLUMN', INFO
         STOP
      ENDIF
      CALL SOLVE(A, LDA, N, IPVT, X)
      ERRMAX = 0.0D0
      DO 60 I = 1, N
         ERRMAX = MAX(ERRMAX, ABS(X(I) - 1.0D0))
   60 CONTINUE
      CALL MATGEN(A, LDA, N)
      DO 70 I = 1, N
         R(I) = -B(I)
   70 CONTINUE
      DO 90 J = 1, N
         DO 80 I = 1, N
            R(I) = R(I) + A(I, J) * X(J)
   80    CONTINUE
   90 CONTINUE
      RESMAX = 0.0D0
      DO 100 I = 1, N
         RESMAX = MAX(RESMAX, ABS(R(I)))
  100 CONTINUE
      PRINT *, 'N =', N
      PRINT *, 'MAX ERROR =', ERRMAX
      PRINT *, 'MAX RESIDUAL =', RESMAX
      END
C     The matrix: entries in (-0.5, 0.5) from a generator with a period of
C     65536, so the same on every machine.
      SUBROUTINE MATGEN(A, LDA, N)
      INTEGER LDA, N, I, J, SEED
      DOUBLE PRECISION A(LDA, N)
      SEED = 1325
      DO 20 J = 1, N
         DO 10 I = 1, N
            SEED = MOD(3125 * SEED, 65536)
            A(I, J) = (SEED - 32768.0D0) / 65536.0D0
   10    CONTINUE
   20 CONTINUE
      END
C     Y = Y + DA * X over N elements.
      SUBROUTINE AXPY(N, DA, DX, DY)
      INTEGER N, I
      DOUBLE PRECISION DA, DX(N), DY(N)
      DO 10 I = 1, N
         DY(I) = DY(I) + DA * DX(I)
   10 CONTINUE
      END
C     The index of the element of largest magnitude of DX(1..N).
      INTEGER FUNCTION IAMAX(N, DX)
      INTEGER N, I
      DOUBLE PRECISION DX(N), DMAX
      IAMAX = 1
      DMAX = ABS(DX(1))
      DO 10 I = 2, N
         IF (ABS(DX(I)) .GT. DMAX) THEN
            IAMAX = I
            DMAX = ABS(DX(I))
         ENDIF
   10 CONTINUE
      END
C     LU factorization with partial pivoting; INFO = K if U(K,K) = 0.
      SUBROUTINE FACTOR(A, LDA, N, IPVT, INFO)
      INTEGER LDA, N, IPVT(N), INFO, K, L, J, I
      DOUBLE PRECISION A(LDA, N), T
      INTEGER IAMAX
      INFO = 0
      DO 60 K = 1, N - 1
         L = IAMAX(N - K + 1, A(K, K)) + K - 1
         IPVT(K) = L
         IF (A(L, K) .EQ. 0.0D0) THEN
            INFO = K
            RETURN
         ENDIF
         IF (L .NE. K) THEN
            T = A(L, K)
            A(L, K) = A(K, K)
            A(K, K) = T
         ENDIF
         T = -1.0D0 / A(K, K)
         DO 10 I = K + 1, N
            A(I, K) = A(I, K) * T
   10    CONTINUE
         DO 50 J = K + 1, N
            T = A(L, J)
            IF (L .NE. K) THEN
               A(L, J) = A(K, J)
               A(K, J) = T
            ENDIF
            CALL AXPY(N - K, T, A(K + 1, K), A(K + 1, J))
   50    CONTINUE
   60 CONTINUE
      IPVT(N) = N
      IF (A(N, N) .EQ. 0.0D0) INFO = N
      END
C     Solves A x = b with the factors from FACTOR; B holds b, then x.
      SUBROUTINE SOLVE(A, LDA, N, IPVT, B)
      INTEGER LDA, N, IPVT(N), K, L
      DOUBLE PRECISION A(LDA, N), B(N), T
      DO 20 K = 1, N - 1
         L = IPVT(K)
         T = B(L)
         IF (L .NE. K) THEN
            B(L) = B(K)
            B(K) = T
         ENDIF
         CALL AXPY(N - K, T, A(K + 1, K), B(K + 1))
   20 CONTINUE
      DO 40 K = N, 1, -1
         B(K) = B(K) / A(K, K)
         T = -B(K)
         CALL AXPY(K - 1, T, A(1, K), B(1))
   40 CONTINUE
      END
