      PROGRAM ROLL
C     Sums the harmonic series in two parts and rolls itself out
C     between them (CALL ROLLOUT, a CAL routine making F$UROLL). The
C     second part's length comes from $IN, read after the rollout.
      INTEGER I, N, ISTAT
      REAL S
      S = 0.0
      DO 10 I = 1, 20000
         S = S + 1.0 / REAL(I)
   10 CONTINUE
      PRINT *, 'FIRST PART', S
      CALL ROLLOUT(ISTAT)
      IF (ISTAT .EQ. 2) PRINT *, 'NO ROLLOUT'
C     The answer is spent: a restarted run then ends in the state an
C     uninterrupted one does.
      ISTAT = 0
      READ *, N
      DO 20 I = 20001, N
         S = S + 1.0 / REAL(I)
   20 CONTINUE
      PRINT *, 'SECOND PART', N, S
      END
