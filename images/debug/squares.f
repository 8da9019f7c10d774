      PROGRAM SQUARS
C     For the debugger's tests: a subroutine to break on by name with the
C     loader's map (squares.map), and a sum to watch. Prints 385.
      INTEGER K(10), I, ISUM
      DO 10 I = 1, 10
         K(I) = I
   10 CONTINUE
      CALL SQUARE(K, 10)
      ISUM = 0
      DO 20 I = 1, 10
         ISUM = ISUM + K(I)
   20 CONTINUE
      PRINT *, ISUM
      END
      SUBROUTINE SQUARE(K, N)
      INTEGER N, K(N), I
      DO 10 I = 1, N
         K(I) = K(I) * K(I)
   10 CONTINUE
      END
